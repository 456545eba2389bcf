#![allow(clippy::unwrap_used)]
//! The container files hold together: `Dockerfile`,
//! `deploy/compose/docker-compose.yml` and `deploy/compose/Caddyfile`.
//!
//! Every `CAMVAULT_*` variable they set is a setting that camvault reads
//! (loaded through [`Config::load`], as `camvault serve` does), the runtime
//! image is distroless and unprivileged, every image is pinned, and the
//! camvault instances share their database, bucket, master key and key
//! vault behind a proxy that checks `/readyz` and that they trust.
//!
//! No YAML parser is at hand, so the compose file is read by indentation:
//! keep it in plain block style (two-space indents, `KEY: value` maps).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use camvault::config::{Config, ConfigArgs};

const DOCKERFILE: &str = "Dockerfile";
const COMPOSE: &str = "deploy/compose/docker-compose.yml";
const CADDYFILE: &str = "deploy/compose/Caddyfile";
/// Where the compose file's build context must point: the repository.
const BUILD_CONTEXT: &str = "../..";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

// ---------------------------------------------------------------- Dockerfile

/// One Dockerfile instruction, continuation lines joined.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

fn instructions(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        // Comments (also between continuation lines) and the parser directive.
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                let (keyword, args) = pending.split_once(char::is_whitespace).unwrap();
                out.push(Instruction {
                    keyword: keyword.to_ascii_uppercase(),
                    args: args.split_whitespace().collect::<Vec<_>>().join(" "),
                });
                pending.clear();
            }
        }
    }
    assert!(
        pending.is_empty(),
        "Dockerfile ends inside a continued line"
    );
    out
}

/// The build stages, each starting with its `FROM`.
fn stages(text: &str) -> Vec<Vec<Instruction>> {
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for i in instructions(text) {
        if i.keyword == "FROM" {
            stages.push(Vec::new());
        }
        stages
            .last_mut()
            .expect("the first instruction is FROM")
            .push(i);
    }
    stages
}

/// `FROM [--platform=…] image [AS name]`: the image and the stage name.
fn from_image(from: &Instruction) -> (String, Option<String>) {
    let words: Vec<&str> = from
        .args
        .split(' ')
        .filter(|w| !w.starts_with("--"))
        .collect();
    let name = match words.as_slice() {
        [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
        [_] => None,
        _ => panic!("unexpected FROM {}", from.args),
    };
    (words[0].to_string(), name)
}

fn stage_args<'a>(stage: &'a [Instruction], keyword: &str) -> Vec<&'a str> {
    stage
        .iter()
        .filter(|i| i.keyword == keyword)
        .map(|i| i.args.as_str())
        .collect()
}

/// `ENV A=1 B=2` of one stage, in order.
fn stage_env(stage: &[Instruction]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for args in stage_args(stage, "ENV") {
        for pair in args.split(' ') {
            let (k, v) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("ENV {args}: write KEY=value pairs"));
            env.insert(k.to_string(), unquote(v).to_string());
        }
    }
    env
}

/// An exec-form (JSON array) `ENTRYPOINT` or `CMD`.
fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|e| panic!("{args} is not exec form: {e}"))
}

/// Whether an image reference names a fixed tag or digest: not `latest`,
/// and not left out (which means `latest`).
fn check_pinned(image: &str) -> Result<(), String> {
    if image.contains("@sha256:") {
        return Ok(());
    }
    let last = image.rsplit('/').next().unwrap();
    match last.split_once(':') {
        None => Err(format!("{image} has no tag, which means latest")),
        Some((_, "")) => Err(format!("{image} has an empty tag")),
        Some((_, tag)) if tag.eq_ignore_ascii_case("latest") => {
            Err(format!("{image} is tagged latest"))
        }
        Some(_) => Ok(()),
    }
}

// -------------------------------------------------------- compose, by indent

/// One line of the compose file: `key: value`, `key:` with children, or a
/// list item `- value` (key `-`). A block scalar (`|`) keeps its text as
/// the value.
#[derive(Debug, Default)]
struct Node {
    key: String,
    /// As written, quotes included.
    raw: String,
    children: Vec<Node>,
}

impl Node {
    fn value(&self) -> &str {
        unquote(&self.raw)
    }

    fn get(&self, key: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.key == key)
    }

    fn at(&self, path: &[&str]) -> &Node {
        let mut node = self;
        for key in path {
            node = node
                .get(key)
                .unwrap_or_else(|| panic!("{COMPOSE}: no {} under {}", key, node.key));
        }
        node
    }

    /// The values of a block list.
    fn items(&self) -> Vec<&str> {
        self.children
            .iter()
            .filter(|c| c.key == "-")
            .map(|c| c.value())
            .collect()
    }

    /// `environment:` as a map, in block-map or `- KEY=value` list form.
    fn env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for c in &self.children {
            if c.key == "-" {
                let (k, v) = c.value().split_once('=').unwrap();
                env.insert(k.to_string(), v.to_string());
            } else {
                env.insert(c.key.clone(), c.value().to_string());
            }
        }
        env
    }

    /// Everything under this node as text (to look for words in scripts).
    fn text(&self) -> String {
        let mut s = format!("{} {}\n", self.key, self.raw);
        for c in &self.children {
            s.push_str(&c.text());
        }
        s
    }
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Parses the block-style subset of YAML the compose file is written in.
fn parse_compose(text: &str) -> Node {
    assert!(
        !text.contains('\t'),
        "{COMPOSE}: tabs are not YAML indentation"
    );
    // (indent, key, raw value)
    let mut lines: Vec<(usize, String, String)> = Vec::new();
    let raw: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < raw.len() {
        let line = raw[i];
        i += 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = indent_of(line);
        let (key, value) = if let Some(rest) = trimmed.strip_prefix("- ") {
            ("-".to_string(), rest.trim().to_string())
        } else if let Some((k, v)) = trimmed.split_once(": ") {
            (k.to_string(), v.trim().to_string())
        } else if let Some(k) = trimmed.strip_suffix(':') {
            (k.to_string(), String::new())
        } else {
            panic!("{COMPOSE}: cannot read line {i}: {line}");
        };
        let value = if value.starts_with('|') || value.starts_with('>') {
            // A block scalar: the more indented lines that follow, verbatim.
            let mut block = Vec::new();
            while i < raw.len() && (raw[i].trim().is_empty() || indent_of(raw[i]) > indent) {
                block.push(raw[i].trim());
                i += 1;
            }
            block.join("\n")
        } else {
            value
        };
        lines.push((indent, key, value));
    }
    let mut pos = 0;
    let children = parse_level(&lines, &mut pos, 0);
    assert_eq!(pos, lines.len(), "{COMPOSE}: inconsistent indentation");
    Node {
        key: "(root)".into(),
        children,
        ..Node::default()
    }
}

fn parse_level(lines: &[(usize, String, String)], pos: &mut usize, indent: usize) -> Vec<Node> {
    let mut nodes = Vec::new();
    while *pos < lines.len() && lines[*pos].0 == indent {
        let (_, key, raw) = &lines[*pos];
        *pos += 1;
        let mut node = Node {
            key: key.clone(),
            raw: raw.clone(),
            children: Vec::new(),
        };
        if *pos < lines.len() && lines[*pos].0 > indent {
            node.children = parse_level(lines, pos, lines[*pos].0);
        }
        nodes.push(node);
    }
    nodes
}

/// A `volumes:` entry `source:target[:mode]`.
fn mount(entry: &str) -> (&str, &str) {
    let mut parts = entry.split(':');
    let source = parts.next().unwrap();
    let target = parts
        .next()
        .unwrap_or_else(|| panic!("{COMPOSE}: volume {entry} has no target"));
    (source, target)
}

fn is_named_volume(source: &str) -> bool {
    !(source.starts_with('.') || source.starts_with('/') || source.starts_with('~'))
}

/// `depends_on:` as service → condition.
fn depends_on(service: &Node) -> BTreeMap<String, String> {
    let Some(deps) = service.get("depends_on") else {
        return BTreeMap::new();
    };
    deps.children
        .iter()
        .map(|d| match d.key.as_str() {
            "-" => (d.value().to_string(), "service_started".to_string()),
            name => (
                name.to_string(),
                d.get("condition")
                    .map_or("service_started", |c| c.value())
                    .to_string(),
            ),
        })
        .collect()
}

// ------------------------------------------------------------ the deployment

/// Both files, read once per test.
struct Deployment {
    dockerfile: String,
    compose: Node,
    caddyfile: String,
}

impl Deployment {
    fn load() -> Self {
        Deployment {
            dockerfile: read(DOCKERFILE),
            compose: parse_compose(&read(COMPOSE)),
            caddyfile: read(CADDYFILE),
        }
    }

    fn runtime_stage(&self) -> Vec<Instruction> {
        stages(&self.dockerfile).pop().unwrap()
    }

    /// The runtime image's own `CAMVAULT_*` settings.
    fn image_env(&self) -> BTreeMap<String, String> {
        stage_env(&self.runtime_stage())
    }

    fn services(&self) -> &[Node] {
        &self.compose.at(&["services"]).children
    }

    fn service(&self, name: &str) -> &Node {
        self.compose.at(&["services", name])
    }

    /// The services built from this repository's Dockerfile.
    fn camvault_services(&self) -> Vec<&Node> {
        let built: Vec<&Node> = self
            .services()
            .iter()
            .filter(|s| s.get("build").is_some())
            .collect();
        for s in &built {
            let build = s.get("build").unwrap();
            assert_eq!(
                build.at(&["context"]).value(),
                BUILD_CONTEXT,
                "{}: build context",
                s.key
            );
            if let Some(file) = build.get("dockerfile") {
                assert_eq!(file.value(), DOCKERFILE, "{}: dockerfile", s.key);
            }
        }
        built
    }

    /// What one camvault service runs with: the image's variables, then
    /// the service's.
    fn effective_env(&self, service: &Node) -> BTreeMap<String, String> {
        let mut env = self.image_env();
        env.extend(service.at(&["environment"]).env());
        env
    }
}

/// Loads the configuration as `camvault serve` would with exactly these
/// variables (and no camvault.toml), and checks that each variable landed in
/// its setting: a variable camvault does not read would leave the default.
// figment's Jail closure must return figment::Error, which is large by design.
#[allow(clippy::result_large_err)]
fn load_config(env: &BTreeMap<String, String>, what: &str) -> Config {
    let mut loaded = None;
    figment::Jail::expect_with(|jail| {
        jail.clear_env();
        for (k, v) in env {
            jail.set_env(k, v);
        }
        loaded = Some(
            Config::load(&ConfigArgs::default())
                .map_err(|e| format!("{what}: the settings do not load: {e}"))?,
        );
        Ok(())
    });
    let config = loaded.unwrap();
    let fields = serde_json::to_value(&config).unwrap();
    let defaults = serde_json::to_value(Config::default()).unwrap();
    for (var, value) in env.iter().filter(|(k, _)| k.starts_with("CAMVAULT_")) {
        let key = var["CAMVAULT_".len()..].to_ascii_lowercase();
        let field = fields
            .get(&key)
            .unwrap_or_else(|| panic!("{what}: {var} is no camvault setting"));
        assert!(
            same_value(field, value),
            "{what}: {var}={value} was not read (the setting is {field}, default {})",
            defaults[&key]
        );
    }
    config
}

/// Whether a loaded setting is the variable's value.
fn same_value(field: &serde_json::Value, var: &str) -> bool {
    use serde_json::Value;
    match field {
        Value::String(s) => s == var,
        Value::Bool(b) => var.parse::<bool>() == Ok(*b),
        Value::Number(n) => n.to_string() == var,
        Value::Array(items) => {
            let Some(inner) = var
                .trim()
                .strip_prefix('[')
                .and_then(|v| v.strip_suffix(']'))
            else {
                return false;
            };
            let given: Vec<&str> = inner
                .split(',')
                .map(|s| unquote(s.trim()))
                .filter(|s| !s.is_empty())
                .collect();
            items.len() == given.len()
                && items
                    .iter()
                    .zip(&given)
                    .all(|(item, g)| item.as_str() == Some(*g))
        }
        _ => false,
    }
}

fn port_of(listen: &str) -> &str {
    listen.rsplit(':').next().unwrap()
}

// --------------------------------------------------------------------- tests

#[test]
fn the_runtime_image_is_distroless_unprivileged_and_runs_the_server() {
    let d = Deployment::load();
    let all = stages(&d.dockerfile);
    assert!(all.len() >= 2, "a multi-stage build");
    let runtime = d.runtime_stage();
    let (image, _) = from_image(&runtime[0]);
    assert!(
        image.starts_with("gcr.io/distroless/cc-"),
        "runtime image {image}: distroless with glibc and libgcc"
    );
    assert!(
        image.split(':').nth(1).unwrap().contains("nonroot"),
        "runtime image {image}: the nonroot variant"
    );
    // The image has no shell: a RUN there would fail to build.
    assert!(
        stage_args(&runtime, "RUN").is_empty(),
        "RUN in the runtime stage"
    );
    let user = stage_args(&runtime, "USER");
    let user = user.last().expect("the runtime stage sets USER");
    let uid = user.split(':').next().unwrap();
    assert!(
        uid != "0" && uid != "root",
        "USER {user}: not root (the nonroot user is 65532)"
    );

    // The builder is the same Debian release, so the binary's glibc fits.
    let (builder_image, builder_name) = from_image(&all[0][0]);
    assert!(
        builder_image.starts_with("rust:") && builder_image.ends_with("-bookworm"),
        "builder {builder_image}"
    );
    assert!(
        image.contains("debian12"),
        "runtime {image}: Debian 12 (bookworm)"
    );
    let builder_name = builder_name.expect("the builder stage is named");
    assert!(
        stage_args(&all[0], "RUN")
            .iter()
            .any(|r| r.contains("cargo build --release --locked -p camvault")),
        "the builder builds the camvault package from Cargo.lock"
    );
    assert!(
        stage_args(&runtime, "COPY")
            .iter()
            .any(|c| c.starts_with(&format!("--from={builder_name} "))
                && c.ends_with(" /usr/local/bin/camvault")),
        "the binary is copied to /usr/local/bin/camvault"
    );

    let entrypoint = stage_args(&runtime, "ENTRYPOINT");
    assert_eq!(
        exec_form(entrypoint.last().unwrap()),
        ["/usr/local/bin/camvault"]
    );
    let cmd = stage_args(&runtime, "CMD");
    assert_eq!(exec_form(cmd.last().unwrap()), ["serve"]);

    // Everything it keeps is under the volume, and it listens where it says.
    let volumes = exec_form(stage_args(&runtime, "VOLUME").last().unwrap());
    let config = load_config(&d.image_env(), DOCKERFILE);
    let key_vault = config.key_vault_dir();
    for path in [
        config.data_dir.clone(),
        key_vault.clone(),
        config.master_key_file(),
    ] {
        assert!(
            volumes.iter().any(|v| path.starts_with(v)),
            "{} is outside the VOLUME {volumes:?}",
            path.display()
        );
    }
    assert!(
        !key_vault.starts_with(&config.data_dir),
        "the key vault is beside the data directory, not in it"
    );
    assert!(
        config.listen.starts_with("0.0.0.0:"),
        "listen {}: reachable from outside the container",
        config.listen
    );
    assert_eq!(
        stage_args(&runtime, "EXPOSE"),
        [port_of(&config.listen)],
        "EXPOSE is the listening port"
    );
}

#[test]
fn every_image_is_pinned() {
    let d = Deployment::load();
    let stage_names: Vec<String> = stages(&d.dockerfile)
        .iter()
        .filter_map(|s| from_image(&s[0]).1)
        .collect();
    for stage in stages(&d.dockerfile) {
        let (image, _) = from_image(&stage[0]);
        if !stage_names.contains(&image) {
            check_pinned(&image).unwrap();
        }
    }
    for service in d.services() {
        match service.get("image") {
            Some(image) => check_pinned(image.value())
                .unwrap_or_else(|e| panic!("service {}: {e}", service.key)),
            None => assert!(
                service.get("build").is_some(),
                "service {} has neither image nor build",
                service.key
            ),
        }
    }
}

#[test]
fn the_instances_settings_are_real_and_load() {
    let d = Deployment::load();
    let instances = d.camvault_services();
    assert!(instances.len() >= 2, "several camvault instances");
    for s in &instances {
        let env = s.at(&["environment"]);
        // Compose refuses a bare YAML boolean as a variable's value.
        for var in &env.children {
            assert!(
                !matches!(
                    var.raw.as_str(),
                    "true" | "false" | "yes" | "no" | "on" | "off"
                ),
                "{}: quote the value of {}",
                s.key,
                var.key
            );
        }
        let effective = d.effective_env(s);
        let config = load_config(&effective, &s.key);
        assert!(
            config.database_url().starts_with("postgres://"),
            "{}: instances share PostgreSQL, not a SQLite file",
            s.key
        );
        let public = url::Url::parse(config.public_url.as_deref().expect("public_url")).unwrap();
        assert_eq!(public.scheme(), "https", "{}: public_url", s.key);
        assert!(
            config.blob_bucket.is_some(),
            "{}: blobs in the bucket",
            s.key
        );
        for proxy in &config.trusted_proxies {
            proxy.parse::<IpAddr>().unwrap_or_else(|_| {
                panic!("{}: trusted proxy {proxy} is not an IP address", s.key)
            });
        }
        assert!(
            !config.key_vault_dir().starts_with(&config.data_dir),
            "{}: the key vault is not in the data directory",
            s.key
        );
    }
}

#[test]
fn the_instances_share_database_bucket_master_key_and_key_vault() {
    let d = Deployment::load();
    let instances = d.camvault_services();
    let first = d.effective_env(instances[0]);
    let shared = [
        "CAMVAULT_DATABASE_URL",
        "CAMVAULT_BLOB_BUCKET",
        "CAMVAULT_S3_ENDPOINT",
        "CAMVAULT_S3_ACCESS_KEY_ID",
        "CAMVAULT_S3_SECRET_ACCESS_KEY",
        "CAMVAULT_MASTER_KEY_FILE",
        "CAMVAULT_KEY_VAULT_DIR",
        "CAMVAULT_PUBLIC_URL",
        "CAMVAULT_TRUSTED_PROXIES",
    ];
    for key in shared {
        assert!(
            first.contains_key(key),
            "{}: {key} is not set",
            instances[0].key
        );
    }
    let volume_names: Vec<&str> = d
        .compose
        .at(&["volumes"])
        .children
        .iter()
        .map(|v| v.key.as_str())
        .collect();
    let mut key_volumes = Vec::new();
    for s in &instances {
        let env = d.effective_env(s);
        for key in shared {
            assert_eq!(env.get(key), first.get(key), "{}: {key}", s.key);
        }
        // The master key's directory and the key vault are named volumes,
        // the same ones in every instance (not a volume per container).
        let config = load_config(&env, &s.key);
        let master_dir = config.master_key_file().parent().unwrap().to_path_buf();
        let mounts: Vec<(&str, &str)> = s.at(&["volumes"]).items().into_iter().map(mount).collect();
        let volume_at = |dir: &Path| {
            let (source, _) = mounts
                .iter()
                .find(|(_, target)| Path::new(target) == dir)
                .unwrap_or_else(|| panic!("{}: no volume is mounted at {}", s.key, dir.display()));
            assert!(
                is_named_volume(source),
                "{}: {source} is not a named volume",
                s.key
            );
            assert!(
                volume_names.contains(source),
                "{}: volume {source} is not declared",
                s.key
            );
            source.to_string()
        };
        key_volumes.push((volume_at(&master_dir), volume_at(&config.key_vault_dir())));
    }
    assert!(
        key_volumes.windows(2).all(|w| w[0] == w[1]),
        "the instances mount different key volumes: {key_volumes:?}"
    );
    let (master, vault) = &key_volumes[0];
    assert_ne!(master, vault, "the master key and the key vault are apart");
}

#[test]
fn the_instances_start_after_the_database_the_bucket_and_the_master_key() {
    let d = Deployment::load();
    let instances = d.camvault_services();
    let env = d.effective_env(instances[0]);
    let config = load_config(&env, &instances[0].key);

    // The database: credentials as the PostgreSQL service makes them.
    let db = url::Url::parse(&config.database_url()).unwrap();
    let db_service = d.service(db.host_str().unwrap());
    let pg = db_service.at(&["environment"]).env();
    assert_eq!(
        Some(db.username()),
        pg.get("POSTGRES_USER").map(String::as_str)
    );
    assert_eq!(
        db.password(),
        pg.get("POSTGRES_PASSWORD").map(String::as_str)
    );
    assert_eq!(
        db.path().trim_start_matches('/'),
        pg.get("POSTGRES_DB").map_or(db.username(), String::as_str)
    );
    let health = db_service.at(&["healthcheck", "test"]).value().to_string();
    assert!(
        health.contains("pg_isready"),
        "{}: healthcheck {health}",
        db_service.key
    );

    // The object store: the bucket's credentials, path style and plain HTTP
    // inside the compose network.
    let s3 = url::Url::parse(config.s3_endpoint.as_deref().expect("s3_endpoint")).unwrap();
    let s3_service = d.service(s3.host_str().unwrap());
    let minio = s3_service.at(&["environment"]).env();
    assert_eq!(
        config.s3_access_key_id.as_ref(),
        minio.get("MINIO_ROOT_USER")
    );
    assert_eq!(
        config.s3_secret_access_key.as_ref(),
        minio.get("MINIO_ROOT_PASSWORD")
    );
    assert!(
        config.s3_path_style,
        "a service name is no bucket host name"
    );
    assert_eq!(config.s3_allow_http, s3.scheme() == "http");
    let bucket = config.blob_bucket.clone().unwrap();
    let bucket_maker = d
        .services()
        .iter()
        .find(|s| {
            let text = s.text();
            text.contains("mc mb") && text.contains(&format!("/{bucket}"))
        })
        .expect("a one-shot service creates the bucket");
    let script = bucket_maker.text();
    assert!(
        script.contains(config.s3_secret_access_key.as_deref().unwrap())
            && script.contains(&format!("{}://{}", s3.scheme(), s3.authority())),
        "{}: reaches the store as camvault does",
        bucket_maker.key
    );

    // The master key: made by a one-shot service on the shared volume,
    // since two instances making it at once would race.
    let master_dir = config.master_key_file().parent().unwrap().to_path_buf();
    let (master_volume, _) = instances[0]
        .at(&["volumes"])
        .items()
        .into_iter()
        .map(mount)
        .find(|(_, target)| Path::new(target) == master_dir)
        .unwrap();
    let names: Vec<&str> = instances.iter().map(|s| s.key.as_str()).collect();
    let key_maker = d
        .services()
        .iter()
        .find(|s| {
            !names.contains(&s.key.as_str())
                && s.get("volumes")
                    .is_some_and(|v| v.items().into_iter().any(|m| mount(m).0 == master_volume))
        })
        .expect("a one-shot service makes the master key");
    let file_name = config.master_key_file();
    let file_name = file_name.file_name().unwrap().to_str().unwrap();
    assert!(
        key_maker.text().contains(file_name),
        "{}: makes {file_name}",
        key_maker.key
    );

    for s in &instances {
        let deps = depends_on(s);
        for (service, condition) in [
            (db_service.key.as_str(), "service_healthy"),
            (bucket_maker.key.as_str(), "service_completed_successfully"),
            (key_maker.key.as_str(), "service_completed_successfully"),
        ] {
            assert_eq!(
                deps.get(service).map(String::as_str),
                Some(condition),
                "{}: depends_on {service}",
                s.key
            );
        }
    }
}

#[test]
fn the_proxy_checks_readyz_on_every_instance_and_is_trusted() {
    let d = Deployment::load();
    let instances = d.camvault_services();
    let config = load_config(&d.effective_env(instances[0]), &instances[0].key);
    let port = port_of(&config.listen);

    // The Caddyfile's upstreams are exactly the instances, on their port.
    let proxy_line = d
        .caddyfile
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("reverse_proxy "))
        .expect("a reverse_proxy directive");
    let mut upstreams: Vec<&str> = proxy_line
        .split_whitespace()
        .skip(1)
        .filter(|w| *w != "{")
        .collect();
    upstreams.sort_unstable();
    let mut expected: Vec<String> = instances
        .iter()
        .map(|s| format!("{}:{port}", s.key))
        .collect();
    expected.sort_unstable();
    assert_eq!(upstreams, expected, "the proxy's upstreams");
    let directives: Vec<Vec<&str>> = d
        .caddyfile
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(
        directives.contains(&vec!["health_uri", "/readyz"]),
        "active health checks on /readyz"
    );
    assert!(
        directives
            .iter()
            .any(|d| d.contains(&"X-Request-Id") && d.contains(&"{http.request.uuid}")),
        "the proxy gives requests an X-Request-Id"
    );

    // Caddy is the one published service; it reads this Caddyfile, serves
    // the public URL's host, and has the address camvault trusts.
    let published: Vec<&str> = d
        .services()
        .iter()
        .filter(|s| s.get("ports").is_some())
        .map(|s| s.key.as_str())
        .collect();
    assert_eq!(
        published.len(),
        1,
        "only the proxy is published: {published:?}"
    );
    let caddy = d.service(published[0]);
    assert!(
        caddy
            .at(&["volumes"])
            .items()
            .iter()
            .any(|m| mount(m) == ("./Caddyfile", "/etc/caddy/Caddyfile")),
        "{}: mounts the Caddyfile",
        caddy.key
    );
    assert!(
        d.caddyfile.contains("{$SITE_ADDRESS"),
        "the Caddyfile's site is SITE_ADDRESS"
    );
    let site = caddy.at(&["environment"]).env()["SITE_ADDRESS"].clone();
    let public = url::Url::parse(config.public_url.as_deref().unwrap()).unwrap();
    assert_eq!(Some(site.as_str()), public.host_str(), "public_url's host");

    let networks = caddy.at(&["networks"]);
    assert_eq!(networks.children.len(), 1, "{}: one network", caddy.key);
    let network = &networks.children[0];
    let address: Ipv4Addr = network.at(&["ipv4_address"]).value().parse().unwrap();
    assert!(
        config.trusted_proxies.contains(&address.to_string()),
        "camvault trusts {address}, the proxy's address"
    );
    let subnet = d
        .compose
        .at(&["networks", &network.key, "ipam", "config"])
        .items()
        .into_iter()
        .find_map(|item| item.strip_prefix("subnet: "))
        .expect("the network has a fixed subnet");
    let (net, bits) = subnet.split_once('/').unwrap();
    let net: Ipv4Addr = net.parse().unwrap();
    let mask = u32::MAX << (32 - bits.parse::<u32>().unwrap());
    assert_eq!(
        u32::from(address) & mask,
        u32::from(net) & mask,
        "{address} is in {subnet}"
    );
    for s in &instances {
        assert!(
            s.at(&["networks"]).items().contains(&network.key.as_str())
                || s.at(&["networks"]).get(&network.key).is_some(),
            "{} is on the proxy's network {}",
            s.key,
            network.key
        );
    }
}
