//! Writing files so that a crash, a kill or a full disk never leaves half of one.
//!
//! [`write_atomically`] writes bytes; [`write_png`] encodes an image first.
//! The app's worker thread calls them for exports and saved reports; the
//! window never writes a file itself.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: into a temporary file in the same
/// folder, flushed to the disk, then renamed over `path` (and the folder
/// flushed, so that the rename itself survives a crash). On any failure the
/// temporary file is removed and `path` is as it was.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |out| out.write_all(bytes))
}

/// [`write_atomically`], with the content written by `write` as it is made
/// (a large export need not exist whole in memory first).
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".partial");
    // A new file gets what any program's new file gets (0666 less the
    // umask), not a temporary file's 0600: a report is made to be shared.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    // Dropped on any early return, which deletes it.
    let mut temp = builder.tempfile_in(dir)?;
    // A file replaced keeps its own permissions.
    if let Ok(existing) = std::fs::metadata(path) {
        temp.as_file().set_permissions(existing.permissions())?;
    }
    write(&mut temp)?;
    temp.flush()?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

/// Why an image could not be saved as PNG.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    /// The image had no pixels, or fewer than its size says.
    #[error("the screenshot had no pixels")]
    Empty,
    /// The encoder failed.
    #[error(transparent)]
    Encode(#[from] image::ImageError),
    /// The file could not be written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Writes an image of `width` × `height` pixels, given row by row as RGBA
/// bytes, to `path` as a PNG file, atomically.
pub fn write_png(path: &Path, width: usize, height: usize, rgba: Vec<u8>) -> Result<(), PngError> {
    let picture = u32::try_from(width)
        .ok()
        .zip(u32::try_from(height).ok())
        .filter(|_| width > 0 && height > 0)
        .and_then(|(w, h)| image::RgbaImage::from_raw(w, h, rgba))
        .ok_or(PngError::Empty)?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut bytes, image::ImageFormat::Png)?;
    write_atomically(path, bytes.get_ref())?;
    Ok(())
}

/// Flushes a folder's entries to the disk where the system allows it.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = std::fs::File::open(dir) {
        // A failure here leaves the rename in the page cache, to be written
        // by the system as usual: the file itself is complete either way.
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_not_private_and_a_replaced_one_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        write_atomically(&path, b"first").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // 0666 less the umask: never the 0600 of a temporary file unless the
        // umask itself asks for it.
        assert_eq!(mode & 0o600, 0o600, "mode {mode:o}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"second").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
    }

    #[test]
    fn replaces_the_file_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.json");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn an_image_is_written_as_png() {
        let pixels: Vec<[u8; 4]> = (0..12u8).map(|i| [i * 20, 255 - i, i, 255]).collect();
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("dashboard.png");
        write_png(&path, 4, 3, pixels.concat()).expect("written");
        let read = image::open(&path).expect("a PNG").to_rgba8();
        assert_eq!(read.dimensions(), (4, 3));
        let read: Vec<[u8; 4]> = read.pixels().map(|p| p.0).collect();
        assert_eq!(read, pixels);

        assert!(matches!(
            write_png(&dir.path().join("empty.png"), 0, 0, Vec::new()),
            Err(PngError::Empty)
        ));
        assert!(!dir.path().join("empty.png").exists());
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a folder: the rename fails after the data is written.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), "kept").unwrap();
        assert!(write_atomically(&path, b"new").is_err());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["taken"]);
    }
}
