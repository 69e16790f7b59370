//! The web client is embedded with `allow_missing`: a server compiled
//! before `scripts/build-ui.sh` had made `ui/dist-web` carries no client
//! (even a debug one, which reads the folder at run time, only reads it if
//! it was there at compile time). Compile again when the bundle appears or
//! changes, so that the order of the two builds does not matter.
fn main() {
    println!("cargo:rerun-if-changed=../../ui/dist-web/index.html");
}
