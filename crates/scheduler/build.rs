//! Linker flags a Node-API addon needs: the `napi_*` symbols are resolved against the Node
//! binary that loads the library, not at link time.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();

    if target_os == "macos" {
        println!("cargo:rustc-cdylib-link-arg=-undefined");
        println!("cargo:rustc-cdylib-link-arg=dynamic_lookup");
    }
    if target_os == "linux" && target_env == "gnu" {
        // Keep the library loaded after a worker thread's environment unloads it: Node may call
        // back into code of the addon from finalizers that run later.
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
}
