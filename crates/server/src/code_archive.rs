//! A `CodeUri` naming a `.zip` (or `.jar`) artifact, as `sam local` accepts it and as build tools
//! leave them (`cargo lambda build --output-format zip`, a Makefile's zip): unpacked once into
//! Sluice's cache, keyed by the file's path, size and modification time, so later runs reuse it
//! and a rebuilt archive is unpacked again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// Whether `path` is an archive file a function's code comes in.
pub(crate) fn is_archive(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("zip") || e.eq_ignore_ascii_case("jar"))
}

/// The folder `archive` is unpacked into (unpacked now if it is not yet), under `cache_root`.
pub(crate) fn unpacked(archive: &Path, cache_root: &Path) -> Result<PathBuf, String> {
    let meta = std::fs::metadata(archive).map_err(|e| e.to_string())?;
    let mut key = std::collections::hash_map::DefaultHasher::new();
    archive.hash(&mut key);
    meta.len().hash(&mut key);
    meta.modified().ok().hash(&mut key);
    let stem = archive
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("code");
    let dir = cache_root
        .join("code")
        .join(format!("{stem}-{:016x}", key.finish()));
    if dir.is_dir() {
        return Ok(dir);
    }
    // Unpacked beside and renamed into place, so a run that stops half-way leaves nothing a
    // later run would take for complete.
    let partial = dir.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| e.to_string())?;
    let file = std::fs::File::open(archive).map_err(|e| e.to_string())?;
    let unpack = zip::ZipArchive::new(file).and_then(|mut zip| zip.extract(&partial));
    if let Err(error) = unpack {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(error.to_string());
    }
    match std::fs::rename(&partial, &dir) {
        Ok(()) => Ok(dir),
        // Another process unpacked the same archive first.
        Err(_) if dir.is_dir() => {
            let _ = std::fs::remove_dir_all(&partial);
            Ok(dir)
        }
        Err(e) => Err(e.to_string()),
    }
}
