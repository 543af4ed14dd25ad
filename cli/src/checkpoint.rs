//! Checkpoint files: JSON, replaced atomically (written beside, then
//! renamed), so that a process killed at any instant leaves either the
//! previous checkpoint or the new one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CliError, CliResult};

/// Writes `value` to `path` atomically.
pub fn write<T: Serialize>(path: &Path, value: &T) -> CliResult<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| CliError::new(format!("checkpoint: {e}")))?;
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| CliError::new(format!("cannot write the checkpoint {}: {e}", path.display())))
}

/// Reads the checkpoint at `path`.
pub fn read<T: DeserializeOwned>(path: &Path) -> CliResult<T> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::new(format!("--resume: cannot read the checkpoint {}: {e}", path.display())))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| CliError::new(format!("--resume: {} is not a checkpoint of this command: {e}", path.display())))
}

/// One input of a load, as the checkpoint remembers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputId {
    /// The path (`-` for stdin).
    pub path: String,
    /// Its size in bytes, when a file.
    pub size: Option<u64>,
}

/// The checkpoint of `elastik load`. Records are numbered from 0 over all
/// inputs in order; a record is *acknowledged* when its outcome is known
/// (succeeded, or written to the failures file). `--resume` skips every
/// acknowledged record and sends the others.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadCheckpoint {
    /// Always `"load"`.
    pub command: String,
    /// The target index.
    pub index: String,
    /// The inputs, in order.
    pub inputs: Vec<InputId>,
    /// Every record below this number is acknowledged.
    pub acked_below: u64,
    /// Acknowledged records at or above `acked_below` (outcomes arrive out of order).
    pub acked_above: BTreeSet<u64>,
    /// The whole input was read and every record acknowledged.
    pub complete: bool,
    /// Counters of the runs so far, for the record.
    pub stats: Value,
}

impl LoadCheckpoint {
    /// Whether record `seq` is acknowledged.
    pub fn is_acked(&self, seq: u64) -> bool {
        seq < self.acked_below || self.acked_above.contains(&seq)
    }

    /// Marks record `seq` acknowledged.
    pub fn ack(&mut self, seq: u64) {
        if seq < self.acked_below {
            return;
        }
        self.acked_above.insert(seq);
        while self.acked_above.first() == Some(&self.acked_below) {
            self.acked_above.pop_first();
            self.acked_below += 1;
        }
    }

    /// How many records are acknowledged.
    pub fn acked(&self) -> u64 {
        self.acked_below + self.acked_above.len() as u64
    }
}

/// The checkpoint of `elastik dump`: the point in time, where each slice
/// got to, and how many bytes of the output are complete.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DumpCheckpoint {
    /// Always `"dump"`.
    pub command: String,
    /// The index (or pattern).
    pub index: String,
    /// The search body (query, `_source`).
    pub body: Value,
    /// The point in time the dump reads (kept open between runs by its keep-alive).
    pub pit_id: String,
    /// Slices.
    pub slices: u32,
    /// The output file.
    pub output: String,
    /// Bytes of the output that hold complete lines (the rest is cut on resume).
    pub offset: u64,
    /// Documents written so far (all runs).
    pub written: u64,
    /// Per slice: the sort values of the last hit written (`null`: none yet).
    pub after: Vec<Value>,
    /// Per slice: done.
    pub slice_done: Vec<bool>,
    /// Documents the point in time holds for the query.
    pub expected: Option<u64>,
    /// The dump is finished.
    pub complete: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgements_out_of_order_move_the_low_water_mark() {
        let mut c = LoadCheckpoint::default();
        c.ack(2);
        c.ack(0);
        assert_eq!((c.acked_below, c.acked_above.len()), (1, 1));
        c.ack(1);
        assert_eq!((c.acked_below, c.acked_above.len()), (3, 0));
        c.ack(1);
        assert!(c.is_acked(1) && !c.is_acked(3));
        c.ack(5);
        assert!(c.is_acked(5) && !c.is_acked(4));
        assert_eq!(c.acked(), 4);
    }

    #[test]
    fn the_checkpoint_is_replaced_atomically_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("elastik-cp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("load.checkpoint");
        let mut c = LoadCheckpoint { command: "load".into(), index: "i".into(), ..Default::default() };
        c.ack(0);
        c.ack(7);
        write(&path, &c).unwrap();
        let back: LoadCheckpoint = read(&path).unwrap();
        assert_eq!(back, c);
        assert!(!dir.join("load.checkpoint.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
