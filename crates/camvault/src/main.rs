//! The `camvault` binary: parse the command line and run it.

use clap::Parser;

fn main() -> std::process::ExitCode {
    return_big_buffers_to_the_system();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("camvault: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let cli = camvault::cli::Cli::parse();
    match runtime.block_on(camvault::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("camvault: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Segments are buffers of hundreds of kilobytes. glibc serves such sizes
/// with mmap until the first one is freed, then raises its threshold and
/// keeps later ones in its heaps, where a burst of uploads (every camera at
/// once) leaves memory the process never gives back: with 100 cameras in
/// lockstep the server held 175 MB instead of 34 MB. A fixed threshold keeps
/// big buffers mapped, so freeing one returns it. (Deployments can set the
/// same with `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072`.)
fn return_big_buffers_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: mallopt only changes allocator tuning; it runs before any
    // other thread exists, and glibc ignores a value it does not accept.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
