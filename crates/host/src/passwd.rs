//! `/etc/passwd` and `/etc/group` of the audited host.

use serde::Serialize;

use crate::Problem;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// Parses passwd lines; malformed lines become problems, never panics.
pub fn parse_passwd(path: &str, text: &str, problems: &mut Vec<Problem>) -> Vec<User> {
    let mut users = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split(':').collect();
        let parsed = (f.len() == 7)
            .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten();
        match parsed {
            Some((uid, gid)) if !f[0].is_empty() => users.push(User {
                name: f[0].to_string(),
                uid,
                gid,
                home: f[5].to_string(),
                shell: f[6].to_string(),
            }),
            _ => problems.push(Problem::new(
                path,
                Some(i + 1),
                "skipped line: not name:x:uid:gid:gecos:home:shell",
            )),
        }
    }
    users
}

pub fn parse_group(path: &str, text: &str, problems: &mut Vec<Problem>) -> Vec<Group> {
    let mut groups = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split(':').collect();
        match (f.len() == 4).then(|| f[2].parse::<u32>().ok()).flatten() {
            Some(gid) => groups.push(Group {
                name: f[0].to_string(),
                gid,
                members: f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            }),
            None => problems.push(Problem::new(
                path,
                Some(i + 1),
                "skipped line: not name:x:gid:members",
            )),
        }
    }
    groups
}

/// Names of the groups `user` belongs to (primary and supplementary).
pub fn groups_of(user: &User, groups: &[Group]) -> Vec<String> {
    groups
        .iter()
        .filter(|g| g.gid == user.gid || g.members.iter().any(|m| m == &user.name))
        .map(|g| g.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_and_group() {
        let mut problems = Vec::new();
        let users = parse_passwd(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\nbroken line\nec2-user:x:1000:1000::/home/ec2-user:/bin/bash\n",
            &mut problems,
        );
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].home, "/home/ec2-user");
        assert_eq!(
            problems,
            vec![Problem::new(
                "/etc/passwd",
                Some(2),
                "skipped line: not name:x:uid:gid:gecos:home:shell"
            )]
        );
        let groups = parse_group(
            "/etc/group",
            "wheel:x:10:ec2-user\nec2-user:x:1000:\n",
            &mut problems,
        );
        assert_eq!(groups_of(&users[1], &groups), vec!["wheel", "ec2-user"]);
        assert_eq!(groups_of(&users[0], &groups), Vec::<String>::new());
    }
}
