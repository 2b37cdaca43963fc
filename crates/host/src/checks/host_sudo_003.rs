//! HOST-SUDO-003: password-less commands that open a root shell.
use super::Check;
use crate::audit::HostData;
use crate::{Evidence, Severity};

/// Programs whose sudo rule is a root shell in disguise (shells, editors, pagers, interpreters,
/// file tools that write anywhere).
const SHELL_ESCAPES: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "csh",
    "tcsh",
    "fish",
    "su",
    "sudo",
    "env",
    "vi",
    "vim",
    "nvim",
    "view",
    "nano",
    "ed",
    "emacs",
    "less",
    "more",
    "man",
    "find",
    "awk",
    "gawk",
    "perl",
    "python",
    "python2",
    "python3",
    "ruby",
    "lua",
    "node",
    "php",
    "tee",
    "cp",
    "mv",
    "dd",
    "chmod",
    "chown",
    "tar",
    "zip",
    "rsync",
    "git",
    "docker",
    "journalctl",
    "systemctl",
    "nmap",
    "script",
    "socat",
    "nc",
];

pub static CHECK: Check = Check {
    id: "HOST-SUDO-003",
    title: "NOPASSWD command that escapes to a root shell",
    severity: Severity::Medium,
    description: "Shells, editors, pagers, interpreters and file tools run through sudo can spawn a \
                  shell or overwrite any file, so a NOPASSWD rule for them equals `NOPASSWD: ALL`.",
    remediation: "Remove the rule, require a password, or use `sudoedit`/a wrapper script that takes \
                  no arbitrary arguments.",
    run,
};

fn program(command: &str) -> &str {
    let first = command.split_whitespace().next().unwrap_or_default();
    first.rsplit('/').next().unwrap_or(first)
}

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    for r in &h.sudoers.rules {
        let prog = program(&r.command);
        let base = prog.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        if r.nopasswd && (SHELL_ESCAPES.contains(&prog) || SHELL_ESCAPES.contains(&base)) {
            out.push(CHECK.finding(
                format!("{} may run {} without a password", r.who, r.command),
                None,
                vec![Evidence::line(&r.path, r.line, r.text.clone())],
                Vec::new(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::run;

    #[test]
    fn vim_and_python_found() {
        let f = run(
            "HOST-SUDO-003",
            &[(
                "/etc/sudoers",
                "ops ALL=(root) NOPASSWD: /usr/bin/vim /etc/hosts, /usr/bin/python3.11\n",
            )],
        );
        assert_eq!(f.len(), 2);
        assert_eq!(
            f[0].message,
            "ops may run /usr/bin/vim /etc/hosts without a password"
        );
    }

    #[test]
    fn harmless_or_password_clean() {
        assert!(
            run(
                "HOST-SUDO-003",
                &[(
                    "/etc/sudoers",
                    "ops ALL=NOPASSWD: /usr/bin/uptime\nops ALL=/usr/bin/vim\n"
                )]
            )
            .is_empty()
        );
    }
}
