//! `stowage init <source> filesystem`: scaffolds a project the way `dlt init` does, so that
//! `stowage run` in that directory loads the sample with no flags.

use std::io::Write;
use std::path::Path;

use stowage::Error;
use stowage::config::{PLACEHOLDER, SETTINGS_DIR};

use crate::args::{Cli, InitArgs};
use crate::exit::{CliError, CliResult, Failed};
use crate::init_templates::{GITIGNORE_LINES, Project};
use crate::output::outln;

/// Creates the project files in the project dir (the working directory by default).
pub fn init(cli: &Cli, args: &InitArgs) -> CliResult {
    check_args(args)?;
    let dir = match &cli.project_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()
            .map_err(|e| Error::from_io(&e, "reading the current directory"))
            .or_failed()?,
    };
    let project = Project {
        source: &args.source,
        bucket_url: args.bucket_url.as_deref(),
    };
    let settings = dir.join(SETTINGS_DIR);
    let config_path = settings.join("config.toml");
    let secrets_path = settings.join("secrets.toml");
    refuse_overwrite(&[&config_path, &secrets_path], args.force)?;
    std::fs::create_dir_all(&settings)
        .map_err(|e| Error::from_io(&e, format!("creating {}", settings.display())))
        .or_failed()?;
    write(&config_path, &project.config_toml(), false)?;
    write(&secrets_path, &project.secrets_toml(), true)?;
    let gitignore = update_gitignore(&dir.join(".gitignore"))?;
    let sample = dir.join(project.sample_file());
    let sample_kept = sample.exists() && !args.force;
    if !sample_kept {
        write(&sample, &project.sample(), false)?;
    }
    print_next_steps(&dir, &project, gitignore, sample_kept);
    Ok(())
}

fn check_args(args: &InitArgs) -> CliResult {
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !valid(&args.source) {
        return Err(CliError::usage(format!(
            "source name `{}` must use only letters, digits, `_` and `-` (e.g. `chess`)",
            args.source
        )));
    }
    if args.destination != "filesystem" {
        return Err(CliError::usage(format!(
            "stowage loads only to the `filesystem` destination (got `{}`): \
             `stowage init {} filesystem --bucket-url URL`",
            args.destination, args.source
        )));
    }
    if args
        .bucket_url
        .as_deref()
        .is_some_and(|u| u.trim().is_empty())
    {
        return Err(CliError::usage("--bucket-url is empty"));
    }
    Ok(())
}

fn refuse_overwrite(paths: &[&Path], force: bool) -> CliResult {
    let existing: Vec<String> = paths
        .iter()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if existing.is_empty() || force {
        return Ok(());
    }
    Err(CliError::failed(Error::new(
        stowage::ErrorKind::AlreadyExists,
        format!(
            "this directory already has a project ({}): edit the files, or pass --force to \
             overwrite them",
            existing.join(", ")
        ),
    )))
}

fn write(path: &Path, text: &str, private: bool) -> CliResult {
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options.open(path)?;
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(text.as_bytes())
    })();
    result
        .map_err(|e| Error::from_io(&e, format!("writing {}", path.display())))
        .or_failed()
}

/// Adds the missing lines; returns whether the file was created or changed.
fn update_gitignore(path: &Path) -> CliResult<bool> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(CliError::failed(Error::from_io(
                &e,
                format!("reading {}", path.display()),
            )));
        }
    };
    let present: Vec<&str> = existing.lines().map(str::trim).collect();
    let missing: Vec<&str> = GITIGNORE_LINES
        .iter()
        .copied()
        .filter(|line| line.starts_with('#') || !present.contains(line))
        .collect();
    if missing.iter().all(|line| line.starts_with('#')) {
        return Ok(false);
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for line in missing {
        text.push_str(line);
        text.push('\n');
    }
    write(path, &text, false)?;
    Ok(true)
}

fn print_next_steps(dir: &Path, project: &Project<'_>, gitignore: bool, sample_kept: bool) {
    outln!(
        "Created a Stowage project for the `{}` source and the `filesystem` destination in {}:",
        project.source,
        dir.display()
    );
    outln!("  .dlt/config.toml    settings: the source to load and the bucket (safe to commit)");
    outln!(
        "  .dlt/secrets.toml   credentials for a `{}` bucket (kept out of git)",
        project.scheme()
    );
    if gitignore {
        outln!("  .gitignore          keeps .dlt/secrets.toml and _storage/ out of git");
    }
    let sample = project.sample_file();
    match sample_kept {
        true => outln!("  {sample:<19} kept as it was"),
        false => outln!("  {sample:<19} sample data to load"),
    }
    outln!("\nNext steps:");
    let mut step = 1;
    if project.bucket_url.is_none() || project.secrets_toml().contains(PLACEHOLDER) {
        let files = match project.bucket_url {
            None => ".dlt/config.toml (bucket_url) and .dlt/secrets.toml",
            Some(_) => ".dlt/secrets.toml",
        };
        outln!("  {step}. Replace every `{PLACEHOLDER}` in {files}");
        step += 1;
    }
    outln!(
        "  {step}. stowage run            # loads {sample} into table `{}`",
        project.table()
    );
    outln!(
        "  {}. stowage config show    # every setting and where it came from",
        step + 1
    );
}
