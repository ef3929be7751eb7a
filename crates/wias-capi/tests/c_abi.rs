#[test]
fn probe() {
    let st = std::process::Command::new(std::env::var("CARGO").unwrap())
        .args(["build", "-p", "wias-capi", "--lib"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(st.success());
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    for f in ["libwias.a", "libwias.so"] {
        let m = std::fs::metadata(dir.join(f)).unwrap().modified().unwrap();
        println!("{f} {:?}", m);
    }
}
