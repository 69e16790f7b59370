fn main() {
    // The config lives at the repository root, as the project's layout asks.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build script");
}
