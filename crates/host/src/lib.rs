//! SSH host audit: key files and their fingerprints (OpenSSH and EC2), and (in later modules)
//! sshd_config, authorized_keys, sudoers and auth logs. Pure logic: no network.
pub mod keys;
pub mod render;
pub mod snapshot_keys;

pub use zeroize::Zeroizing;

/// Reads a passphrase from the terminal without echo.
pub fn prompt_passphrase(prompt: &str) -> std::io::Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt).map(Zeroizing::new)
}
