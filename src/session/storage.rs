//! Where session files go: the disk, or a disk that fails on purpose.
//!
//! The writer only appends to files and replaces small ones whole, through
//! this trait, so tests can make any write fail the way a full disk does
//! (`ENOSPC`) and check that the session stays valid.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A file the writer appends to.
pub trait AppendFile: Send {
    /// Appends all of `data`, or nothing: after a failed write the file is
    /// cut back to where it was, so no half frame or half row stays.
    fn append(&mut self, data: &[u8]) -> io::Result<()>;
    /// Makes what was appended durable (fsync).
    fn sync(&mut self) -> io::Result<()>;
    /// Bytes in the file (what was there plus what was appended).
    fn size(&self) -> u64;
    /// Cuts the file back to `len` bytes (frames a late decision takes back).
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// The filesystem, as the session writer uses it.
pub trait Storage: Send + Sync {
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Opens `path` for appending, creating it if needed.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn AppendFile>>;
    /// Replaces `path` whole: write aside, fsync, rename, fsync the folder.
    fn write_atomic(&self, path: &Path, data: &[u8]) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Free bytes on the filesystem holding `path`, if known.
    fn free_bytes(&self, _path: &Path) -> Option<u64> {
        None
    }
}

/// The real disk.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiskStorage;

/// The real disk without fsync: for simulations on a virtual clock, where a
/// power cut is not the risk and a sync per simulated second would cost more
/// than the whole simulation. Files are still only appended to and small
/// ones replaced by rename, so the layout is the same.
#[derive(Debug, Default, Clone, Copy)]
pub struct UnsyncedDiskStorage;

struct UnsyncedFile(Box<dyn AppendFile>);

impl AppendFile for UnsyncedFile {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.0.append(data)
    }

    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn size(&self) -> u64 {
        self.0.size()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.0.truncate(len)
    }
}

impl Storage for UnsyncedDiskStorage {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::create_dir_all(path)
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn AppendFile>> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let len = file.metadata()?.len();
        Ok(Box::new(UnsyncedFile(Box::new(DiskFile { file, len }))))
    }

    fn write_atomic(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        fs::write(&tmp, data)?;
        fs::rename(&tmp, path)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn free_bytes(&self, path: &Path) -> Option<u64> {
        DiskStorage.free_bytes(path)
    }
}

struct DiskFile {
    file: File,
    len: u64,
}

impl AppendFile for DiskFile {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        match self.file.write_all(data) {
            Ok(()) => {
                self.len += data.len() as u64;
                Ok(())
            }
            Err(e) => {
                // O_APPEND: a short write left a torn tail; cut it off.
                let _ = self.file.set_len(self.len);
                Err(e)
            }
        }
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn size(&self) -> u64 {
        self.len
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        if len < self.len {
            self.file.set_len(len)?;
            self.len = len;
        }
        Ok(())
    }
}

/// fsyncs a folder, so a rename or a new file in it survives a power cut.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Storage for DiskStorage {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::create_dir_all(path)?;
        if let Some(parent) = path.parent() {
            let _ = sync_dir(parent);
        }
        Ok(())
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn AppendFile>> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let len = file.metadata()?.len();
        if let Some(parent) = path.parent() {
            sync_dir(parent)?;
        }
        Ok(Box::new(DiskFile { file, len }))
    }

    fn write_atomic(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let result = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
            fs::rename(&tmp, path)?;
            if let Some(parent) = path.parent() {
                sync_dir(parent)?;
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn free_bytes(&self, path: &Path) -> Option<u64> {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
        // SAFETY: statvfs writes into the zeroed struct we own; `c` is NUL-terminated.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
            return None;
        }
        Some(st.f_bavail as u64 * st.f_frsize as u64)
    }
}

/// The disk, with a switch that makes it full (for tests).
///
/// While full, every append and atomic write fails with `ENOSPC` (after
/// `budget` more bytes, if one is set), the way a real full disk does.
#[derive(Debug, Clone, Default)]
pub struct FlakyStorage {
    full: Arc<AtomicBool>,
    /// Bytes that may still be written before the disk is full (u64::MAX: no limit).
    budget: Arc<AtomicU64>,
    /// Once full, the disk frees itself after this many failed writes (0: never).
    full_for: Arc<AtomicU64>,
}

impl FlakyStorage {
    pub fn new() -> Self {
        FlakyStorage {
            full: Arc::default(),
            budget: Arc::new(AtomicU64::new(u64::MAX)),
            full_for: Arc::default(),
        }
    }

    /// Fills the disk now (`true`) or frees it (`false`).
    pub fn set_full(&self, full: bool) {
        self.full.store(full, Ordering::SeqCst);
        if !full {
            self.budget.store(u64::MAX, Ordering::SeqCst);
        }
    }

    /// The disk fills up after `bytes` more bytes.
    pub fn fill_after(&self, bytes: u64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }

    /// Once full, the disk frees itself after `attempts` failed writes
    /// (space coming back, deterministically).
    pub fn full_for(&self, attempts: u64) {
        self.full_for.store(attempts, Ordering::SeqCst);
    }

    fn take(&self, n: usize) -> io::Result<()> {
        if self.full.load(Ordering::SeqCst) {
            let left = self.full_for.load(Ordering::SeqCst);
            if left == 1 {
                self.set_full(false);
            }
            if left > 0 {
                self.full_for.store(left - 1, Ordering::SeqCst);
            }
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        let left = self.budget.load(Ordering::SeqCst);
        if left != u64::MAX {
            if (n as u64) > left {
                self.full.store(true, Ordering::SeqCst);
                return Err(io::Error::from_raw_os_error(libc::ENOSPC));
            }
            self.budget.store(left - n as u64, Ordering::SeqCst);
        }
        Ok(())
    }
}

struct FlakyFile {
    inner: Box<dyn AppendFile>,
    disk: FlakyStorage,
}

impl AppendFile for FlakyFile {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.disk.take(data.len())?;
        self.inner.append(data)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.inner.sync()
    }

    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.inner.truncate(len)
    }
}

impl Storage for FlakyStorage {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        DiskStorage.create_dir_all(path)
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn AppendFile>> {
        Ok(Box::new(FlakyFile {
            inner: DiskStorage.open_append(path)?,
            disk: self.clone(),
        }))
    }

    fn write_atomic(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.take(data.len())?;
        DiskStorage.write_atomic(path, data)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        DiskStorage.remove_file(path)
    }
}

/// Cuts `path` to `len` bytes (if longer) and fsyncs it.
pub fn truncate_file(path: &Path, len: u64) -> io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    if f.metadata()?.len() > len {
        f.set_len(len)?;
    }
    f.sync_all()
}

/// True if `e` means the disk (or the quota) is full.
pub fn is_disk_full(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_append_leaves_the_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let disk = FlakyStorage::new();
        let path = dir.path().join("a.csv");
        let mut f = disk.open_append(&path).unwrap();
        f.append(b"t_ms\n").unwrap();
        disk.fill_after(3);
        let err = f.append(b"1234\n").unwrap_err();
        assert!(is_disk_full(&err));
        assert_eq!(fs::read(&path).unwrap(), b"t_ms\n");
        assert!(disk.write_atomic(&dir.path().join("s.toml"), b"x").is_err());
        disk.set_full(false);
        f.append(b"5\n").unwrap();
        disk.write_atomic(&dir.path().join("s.toml"), b"x").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"t_ms\n5\n");
        assert!(!dir.path().join("s.toml.tmp").exists());
        assert!(DiskStorage.free_bytes(dir.path()).unwrap() > 0);
    }
}
