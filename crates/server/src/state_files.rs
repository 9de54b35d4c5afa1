//! Sluice's state files are its own: 0600 in a 0700 folder, so a handler (which runs as another
//! user when Sluice is root) reaches the data only through the services endpoint.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Make `dir` 0700 and the files in it 0600 (SQLite gives its `-wal`/`-shm` files the mode of
/// the database file, so later ones follow).
pub fn make_private(dir: &Path) -> std::io::Result<()> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_0700_files_0600() {
        let dir = std::env::temp_dir().join(format!("sluice-private-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("store.sqlite3"), "x").unwrap();
        make_private(&dir).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("store.sqlite3")), 0o600);
        let _ = fs::remove_dir_all(&dir);
    }
}
