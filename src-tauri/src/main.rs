//! The desktop app's entry point. The Tauri shell arrives with the
//! desktop-app issue; until then this binary only says where things are.

fn main() {
    println!("mentorlive desktop app: not built yet. Run the server with scripts/run.sh.");
}
