//! `pull`: verify every pack, then make the output directory an exact, atomically
//! switched picture of what this run verified (`crate::output`;
//! docs/pull.md). Layers are fetched by the verified digest on the verification
//! workers, so they have the same bounded concurrency.

use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{json, Value};

use super::packs::{finish, json_pack, plan, report, run, AfterPack, Outcome};
use super::{now, Failure, UsageError};
use crate::output::{pack_dir_name, OutputDir, WriteError, CURRENT, PACKS};
use crate::pack::layers::{self, LayerError, LayerFile};
use crate::time::format_rfc3339;
use crate::Error;

/// What was written for one pack.
struct Written {
    name: String,
    files: Vec<LayerFile>,
}

pub(crate) fn pull(argv: &[String]) -> Result<(), Failure> {
    // `plan` lists each reference once (a duplicate is verified, and so written, once).
    let (plan, out) = plan(argv, true)?;
    let out = out.ok_or_else(|| UsageError("pull needs --out DIR".into()))?;
    let n = plan.refs.len();

    // The output is opened (and locked) first; if it is unusable, the packs are still
    // verified and reported, and the write failure follows the report.
    let mut write_error: Option<WriteError> = None;
    let outdir = match OutputDir::open(&out) {
        Ok(o) => {
            for r in &o.removed {
                eprintln!(
                    "removed {} (left behind by an interrupted pull)",
                    r.display()
                );
            }
            for f in &o.foreign {
                eprintln!(
                    "note: {} is not managed by pull and was left alone; consumers read {}",
                    f.display(),
                    out.join(CURRENT).display()
                );
            }
            Some(o)
        }
        Err(e) => {
            write_error = Some(e);
            None
        }
    };
    let staging = match outdir.as_ref().map(OutputDir::stage) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            write_error = Some(e);
            None
        }
        None => None,
    };

    let from_layout = plan.layout.is_some();
    let written: Mutex<Vec<Option<Written>>> = Mutex::new((0..n).map(|_| None).collect());
    let failed_write: Mutex<Option<WriteError>> = Mutex::new(None);
    let record = |e: WriteError| {
        if let Ok(mut w) = failed_write.lock() {
            w.get_or_insert(e);
        }
    };
    let after = |p: AfterPack<'_>| -> Result<(), Error> {
        let writing = staging
            .as_ref()
            .filter(|_| failed_write.lock().map(|w| w.is_none()).unwrap_or(false));
        let Some(st) = writing else {
            // Nothing can be written: still check what `verify` checks.
            if from_layout {
                layers::check_layout_blobs(p.source, p.reference, p.digest, p.manifest)?;
            }
            return Ok(());
        };
        let name = pack_dir_name(p.reference);
        let dir = match st.add_pack(&name) {
            Ok(d) => d,
            Err(e) => {
                record(e);
                return Ok(());
            }
        };
        let pinned = p.reference.with_digest(p.digest);
        for f in p.files {
            let bytes = match layers::fetch_layer(p.source, &pinned, &f.descriptor) {
                Ok(b) => b,
                Err(e) => {
                    if let Err(w) = st.remove_pack(&name) {
                        record(w);
                    }
                    return Err(if from_layout {
                        LayerError::LayoutBlob {
                            layer: f.descriptor.digest,
                            path: f.path.clone(),
                            cause: Box::new(e),
                        }
                        .into()
                    } else {
                        e.into()
                    });
                }
            };
            if let Err(e) = st.write_file(&dir, &f.path, &bytes) {
                record(e);
                let _ = st.remove_pack(&name);
                return Ok(());
            }
        }
        for f in p.files.iter().filter(|f| f.title.is_none()) {
            eprintln!(
                "note: layer {} of {}@{} has no title ({}); written as {}",
                f.descriptor.digest,
                p.reference,
                p.digest,
                layers::TITLE_ANNOTATION,
                f.path
            );
        }
        if let Ok(mut w) = written.lock() {
            if let Some(slot) = w.get_mut(p.index) {
                *slot = Some(Written {
                    name,
                    files: p.files.to_vec(),
                });
            }
        }
        Ok(())
    };
    let results = run(&plan, &after)?;
    let written = written.into_inner().unwrap_or_default();
    if let Some(e) = failed_write.into_inner().ok().flatten() {
        write_error.get_or_insert(e);
    }

    let mut paths: Vec<Option<PathBuf>> = vec![None; n];
    if let (None, Some(st)) = (&write_error, staging) {
        let packs: Vec<Value> = results
            .outcomes
            .iter()
            .zip(&written)
            .filter_map(|(o, w)| Some((o, w.as_ref()?)))
            .filter(|(o, _)| o.pack().is_some())
            .map(|(o, w)| index_entry(o, w, &results.source))
            .collect();
        let index = json!({
            "generation": st.number(),
            "createdAt": format_rfc3339(now()),
            "verifySignature": plan.verify_signature,
            "packs": packs,
        });
        match st.commit(index.to_string().as_bytes()) {
            Ok(gen) => {
                let current = out.join(CURRENT);
                let mut count = 0;
                for (i, w) in written.iter().enumerate() {
                    let ok = results.outcomes.get(i).and_then(Outcome::pack).is_some();
                    if let (Some(w), true) = (w, ok) {
                        let p = current.join(PACKS).join(&w.name);
                        eprintln!("wrote {} ({} file(s))", p.display(), w.files.len());
                        if let Some(slot) = paths.get_mut(i) {
                            *slot = Some(p);
                        }
                        count += 1;
                    }
                }
                eprintln!(
                    "{} -> {}: {count} pack(s){}",
                    current.display(),
                    gen.name,
                    if count == 0 {
                        " (no pack verified; nothing may be loaded)"
                    } else {
                        ""
                    }
                );
            }
            Err(e) => write_error = Some(e),
        }
    }

    report(&plan, &results, &paths);
    let verdict = finish(&results.outcomes);
    match (write_error, verdict) {
        (None, v) => v,
        (Some(e), Err(packs)) => {
            eprintln!("{}", Failure::Write(e).line());
            Err(packs)
        }
        (Some(e), Ok(())) => Err(Failure::Write(e)),
    }
}

/// A pack's record in the generation's `index.json`: the `--output json` object, with
/// `path` relative to the generation and each layer's file.
fn index_entry(o: &Outcome, w: &Written, src: &super::packs::SourceInfo) -> Value {
    let mut v = json_pack(o, src, None);
    let layers: Value = w
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path, "title": f.title, "digest": f.descriptor.digest.to_string(),
                "size": f.descriptor.size, "mediaType": f.descriptor.media_type,
            })
        })
        .collect();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("path".into(), Value::from(format!("{PACKS}/{}", w.name)));
        obj.insert("layers".into(), layers);
    }
    v
}
