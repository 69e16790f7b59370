//! Where this workspace's binaries are, for the suites that start them.

use std::path::{Path, PathBuf};

/// A binary of this workspace: `MENTORLIVE_<NAME>_BIN`, or beside the test
/// executable's `deps/` folder in the same target directory.
pub fn workspace_binary(name: &str) -> PathBuf {
    let var = format!("{}_BIN", name.to_uppercase().replace('-', "_"));
    if let Some(path) = std::env::var_os(&var) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executables live in target/<profile>/deps");
    let bin = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build --workspace --bins`, which scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// The reference server's binary.
pub fn server_binary() -> PathBuf {
    workspace_binary("mentorlive-server")
}
