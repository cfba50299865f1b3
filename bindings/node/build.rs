//! napi-build sets the linker flags a Node addon needs on each platform (on Linux: none
//! beyond a cdylib; on macOS `-undefined dynamic_lookup`).
fn main() {
    napi_build::setup();
}
