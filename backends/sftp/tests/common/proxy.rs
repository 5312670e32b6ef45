//! A TCP proxy that makes "the server went away mid-load" deterministic: it forwards to an
//! upstream port until the clients have sent `trip_after` bytes in total, then holds every
//! connection still (forwarding nothing) and reports that it tripped. The test then stops the
//! server and calls [`TripProxy::cut`], which closes every client connection; later connections
//! are closed at once.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Debug, Default)]
struct State {
    sent: AtomicU64,
    stop: AtomicBool,
    /// (tripped, cut)
    flags: Mutex<(bool, bool)>,
    changed: Condvar,
    clients: Mutex<Vec<TcpStream>>,
}

/// The proxy; stops accepting on drop.
#[derive(Debug)]
pub struct TripProxy {
    /// Its port on 127.0.0.1.
    pub port: u16,
    state: Arc<State>,
}

impl TripProxy {
    /// Starts forwarding to `127.0.0.1:upstream`.
    pub fn start(upstream: u16, trip_after: u64) -> TripProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(State::default());
        let s = Arc::clone(&state);
        std::thread::spawn(move || accept_loop(listener, upstream, trip_after, s));
        TripProxy { port, state }
    }

    /// Waits until the clients sent `trip_after` bytes; false if `timeout` passed first.
    pub fn wait_tripped(&self, timeout: Duration) -> bool {
        let flags = self.state.flags.lock().unwrap();
        let (flags, _) = self
            .state
            .changed
            .wait_timeout_while(flags, timeout, |(tripped, _)| !*tripped)
            .unwrap();
        flags.0
    }

    /// Closes every client connection; later connections are closed at once.
    pub fn cut(&self) {
        self.state.flags.lock().unwrap().1 = true;
        self.state.changed.notify_all();
        for client in self.state.clients.lock().unwrap().drain(..) {
            let _ = client.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for TripProxy {
    fn drop(&mut self) {
        self.cut();
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes the accept loop
    }
}

fn accept_loop(listener: TcpListener, upstream: u16, trip_after: u64, state: Arc<State>) {
    for client in listener.incoming() {
        if state.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if state.flags.lock().unwrap().1 {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
            continue;
        };
        state
            .clients
            .lock()
            .unwrap()
            .push(client.try_clone().expect("clone"));
        let (c2, s2) = (
            client.try_clone().expect("clone"),
            server.try_clone().expect("clone"),
        );
        let st = Arc::clone(&state);
        std::thread::spawn(move || client_to_server(client, server, trip_after, st));
        std::thread::spawn(move || server_to_client(s2, c2));
    }
}

fn client_to_server(
    mut client: TcpStream,
    mut server: TcpStream,
    trip_after: u64,
    state: Arc<State>,
) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let total = state.sent.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
        if total >= trip_after {
            hold_until_cut(&state);
            break;
        }
        if server.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = server.shutdown(Shutdown::Both);
    let _ = client.shutdown(Shutdown::Both);
}

/// Marks the proxy tripped and blocks this connection until `cut`.
fn hold_until_cut(state: &State) {
    let mut flags = state.flags.lock().unwrap();
    flags.0 = true;
    state.changed.notify_all();
    while !flags.1 {
        flags = state
            .changed
            .wait_timeout(flags, Duration::from_secs(1))
            .unwrap()
            .0;
    }
}

fn server_to_client(mut server: TcpStream, mut client: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if client.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}
