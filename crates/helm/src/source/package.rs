//! `helm package`: a chart directory as a `.tgz` with every file under
//! `<chart name>/`, `.helmignore` honoured. Used to push local charts to a
//! registry and by tests.

use std::path::Path;

use super::SourceError;

/// Packages the chart at `dir`; returns the archive and the chart's
/// (name, version).
pub fn package_dir(dir: &Path) -> Result<(Vec<u8>, String, String), SourceError> {
    let files = crate::chart::read_dir_files(dir)?;
    let chart = crate::chart::from_files(files.clone(), &dir.display().to_string())?;
    let io = |source| SourceError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for f in &files {
        let mut h = tar::Header::new_gnu();
        h.set_size(f.data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, format!("{}/{}", chart.name, f.name), &f.data[..])
            .map_err(io)?;
    }
    let gz = tar.into_inner().map_err(io)?;
    let bytes = gz.finish().map_err(io)?;
    Ok((bytes, chart.name, chart.version))
}
