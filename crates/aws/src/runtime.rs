//! One tokio runtime for the synchronous facades ([`crate::s3::S3`], SQS, SNS, LookupEvents), made
//! on first use and kept for the life of the process.

use std::sync::OnceLock;

use tokio::runtime::Runtime;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            // Only fails when the OS refuses threads or timers: nothing sensible to do but stop.
            .expect("cannot start the tokio runtime")
    })
}

/// Runs a future to completion from synchronous code. Must not be called from inside a tokio
/// runtime (the CLI never is).
pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}
