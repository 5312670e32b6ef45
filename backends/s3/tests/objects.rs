//! Multipart uploads (no orphans after abort, drop or a failed upload), pagination, batch delete
//! and multipart copy, against moto (which implements ListMultipartUploads).

mod common;

use common::{Server, pattern, put_chunked};
use stowage_plugin_s3::copy::CopyLimits;
use stowage_plugin_s3::{S3Store, UploadSettings, open_store, runtime};
use stowage_plugin_sdk::io::read_object;
use stowage_plugin_sdk::{Backend, ErrorKind};

const MIB: usize = 1 << 20;

/// A store under `base` of a fresh moto bucket, with 5 MiB parts, two in flight.
fn moto_store(tag: &str) -> Option<(common::TestBucket, S3Store)> {
    let bucket = Server::moto()?.bucket(tag);
    let options = bucket.server.options(&[
        ("kwargs.default_block_size", "5242880"),
        ("kwargs.max_concurrency", "2"),
    ]);
    let store = open_store(&bucket.url("base"), options).expect("open");
    Some((bucket, store))
}

#[test]
fn a_large_object_goes_up_in_parts_and_reads_back() {
    let Some((bucket, store)) = moto_store("mp") else {
        return;
    };
    let data = pattern(0, 23 * MIB + 123);
    assert_eq!(
        put_chunked(&store, "big.bin", &data, 700_000),
        data.len() as u64
    );
    assert_eq!(store.head("big.bin").unwrap().size, data.len() as u64);
    assert!(
        read_object(&store, "big.bin").unwrap() == data,
        "content differs"
    );
    assert_eq!(bucket.keys(), ["base/big.bin"]);
    assert!(bucket.multipart_uploads().is_empty());
    let etag = runtime::block_on(
        store
            .client()
            .head_object()
            .bucket(&bucket.name)
            .key("base/big.bin")
            .send(),
    )
    .unwrap()
    .unwrap();
    assert!(
        etag.e_tag().unwrap_or_default().ends_with("-5\""),
        "expected a 5-part multipart ETag, got {:?}",
        etag.e_tag()
    );
}

#[test]
fn a_small_object_is_a_single_put() {
    let Some((_bucket, store)) = moto_store("single") else {
        return;
    };
    let data = pattern(7, 5 * MIB);
    put_chunked(&store, "one.bin", &data, MIB);
    let head = runtime::block_on(
        store
            .client()
            .head_object()
            .bucket(&store.url().bucket)
            .key("base/one.bin")
            .send(),
    )
    .unwrap()
    .unwrap();
    assert!(
        !head.e_tag().unwrap_or_default().contains('-'),
        "a single PUT has a plain MD5 ETag: {:?}",
        head.e_tag()
    );
}

#[test]
fn abort_after_parts_leaves_no_multipart_upload() {
    let Some((bucket, store)) = moto_store("abort") else {
        return;
    };
    let mut w = store.open_writer("aborted.bin").unwrap();
    w.write(&pattern(0, 12 * MIB)).unwrap();
    assert_eq!(bucket.multipart_uploads(), ["base/aborted.bin"]);
    w.abort().unwrap();
    assert!(
        bucket.multipart_uploads().is_empty(),
        "{:?}",
        bucket.multipart_uploads()
    );
    assert_eq!(
        store.head("aborted.bin").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn dropping_a_writer_after_parts_leaves_no_multipart_upload() {
    let Some((bucket, store)) = moto_store("drop") else {
        return;
    };
    {
        let mut w = store.open_writer("dropped.bin").unwrap();
        w.write(&pattern(0, 11 * MIB)).unwrap();
        assert_eq!(bucket.multipart_uploads().len(), 1);
    }
    assert!(
        bucket.multipart_uploads().is_empty(),
        "{:?}",
        bucket.multipart_uploads()
    );
    assert!(bucket.keys().is_empty());
}

#[test]
fn a_failed_upload_is_aborted() {
    let Some((bucket, store)) = moto_store("fail") else {
        return;
    };
    // Parts under S3's 5 MiB minimum: CompleteMultipartUpload fails with EntityTooSmall.
    let store = store.with_upload_settings(UploadSettings {
        part_size: MIB as u64,
        max_concurrency: 2,
    });
    let mut w = store.open_writer("too-small-parts.bin").unwrap();
    w.write(&pattern(0, 3 * MIB + 10)).unwrap();
    let err = w
        .finish()
        .expect_err("S3 rejects non-final parts under 5 MiB");
    let msg = err.to_string();
    assert!(
        msg.contains("EntityTooSmall") && msg.contains(&bucket.name),
        "{msg}"
    );
    assert!(
        bucket.multipart_uploads().is_empty(),
        "{:?}",
        bucket.multipart_uploads()
    );
    assert_eq!(
        store.head("too-small-parts.bin").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn listing_pages_through_small_pages() {
    let Some((_bucket, store)) = moto_store("pages") else {
        return;
    };
    let store = store.with_list_page_size(2);
    for i in 0..7 {
        common::put_chunked(&store, &format!("p/{i}"), b"x", 1);
    }
    common::put_chunked(&store, "q/other", b"x", 1);
    let keys: Vec<String> = store.list("p/").unwrap().map(|e| e.unwrap().key).collect();
    assert_eq!(keys, (0..7).map(|i| format!("p/{i}")).collect::<Vec<_>>());
}

#[test]
fn more_than_a_thousand_keys_are_listed_and_batch_deleted() {
    let Some((bucket, store)) = moto_store("many") else {
        return;
    };
    const COUNT: usize = 1_050;
    let client = store.client().clone();
    let name = bucket.name.clone();
    runtime::block_on(async move {
        let mut puts = tokio::task::JoinSet::new();
        for i in 0..COUNT {
            let (client, name) = (client.clone(), name.clone());
            puts.spawn(async move {
                client
                    .put_object()
                    .bucket(name)
                    .key(format!("base/many/{i:05}"))
                    .body(Vec::from(b"x".as_slice()).into())
                    .send()
                    .await
                    .map(|_| ())
            });
            if puts.len() >= 16 {
                puts.join_next().await.unwrap().unwrap().unwrap();
            }
        }
        while let Some(put) = puts.join_next().await {
            put.unwrap().unwrap();
        }
    })
    .unwrap();
    let keys: Vec<String> = store
        .list("many/")
        .unwrap()
        .map(|e| e.unwrap().key)
        .collect();
    assert_eq!(keys.len(), COUNT);
    assert_eq!(keys.first().map(String::as_str), Some("many/00000"));
    store.delete_many(&keys).unwrap();
    assert!(store.list("many/").unwrap().next().is_none());
}

#[test]
fn copy_goes_multipart_above_the_single_copy_limit() {
    let Some((_bucket, store)) = moto_store("copy") else {
        return;
    };
    let data = pattern(3, 11 * MIB);
    put_chunked(&store, "src.bin", &data, MIB);
    let limits = CopyLimits {
        single_copy_max: 0,
        part_size: 5 * MIB as u64,
    };
    store
        .copy_with_limits("src.bin", "copies/dst file.bin", limits)
        .unwrap();
    assert!(read_object(&store, "copies/dst file.bin").unwrap() == data);
    assert!(read_object(&store, "src.bin").unwrap() == data);
}

#[test]
fn ranged_reads_do_not_disturb_the_stream() {
    let Some((_bucket, store)) = moto_store("range") else {
        return;
    };
    let data = pattern(11, 3 * MIB);
    put_chunked(&store, "r.bin", &data, MIB);
    let mut r = store.open_reader("r.bin").unwrap();
    let mut head = vec![0u8; 1000];
    assert_eq!(r.read(&mut head).unwrap(), 1000);
    let mut tail = vec![0u8; 4096];
    let n = r.read_at((data.len() - 100) as u64, &mut tail).unwrap();
    assert_eq!(&tail[..n], &data[data.len() - 100..]);
    assert_eq!(r.read_at(data.len() as u64 + 5, &mut tail).unwrap(), 0);
    let mut rest = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        rest.extend_from_slice(&buf[..n]);
    }
    assert!(head[..] == data[..1000] && rest[..] == data[1000..]);
}
