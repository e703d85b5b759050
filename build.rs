// Rebuild when an embedded manifest or fragment changes (include_dir does not
// tell cargo about the files it embeds).
fn main() {
    println!("cargo:rerun-if-changed=patterns");
    println!("cargo:rerun-if-changed=templates");
}
