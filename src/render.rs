//! Rendering: compose a manifest's Tera fragments into one CloudFormation
//! template, then validate the result (see [`crate::validate`]).
//!
//! Each fragment renders to a YAML document whose top-level keys are template
//! sections (`Parameters`, `Conditions`, `Mappings`, `Resources`, `Outputs`) plus
//! one streamkit extension, `DashboardSections`, from which the renderer builds
//! the body of the stack's `AWS::CloudWatch::Dashboard`. A parameter may carry a
//! `Label`, which is moved into `Metadata.AWS::CloudFormation::Interface`.
//! API Gateway deployments are renamed after their API's content
//! ([`crate::apigw`]), so a changed API is redeployed by a stack update.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::apigw;
use crate::catalog::{self, Manifest};
use crate::dashboard;
use crate::error::{Error, Result};
use crate::origins::Origins;
use crate::validate;

/// Sections a fragment may contribute, in the order they appear in the template.
pub const SECTIONS: [&str; 5] = [
    "Parameters",
    "Mappings",
    "Conditions",
    "Resources",
    "Outputs",
];
const DASHBOARD_KEY: &str = "DashboardSections";

/// Where the stack's code lives. Rendered into the defaults of the template
/// parameters `AssetBucketBase` and `AssetKeyPrefix` and into each code key, so
/// that code is read from `s3://<AssetBucketBase>-<region>/<AssetKeyPrefix><file>`.
#[derive(Debug, Clone, Serialize)]
pub struct AssetBinding {
    /// Default of the `AssetBucketBase` parameter (the region is appended at deploy time).
    pub bucket_base: String,
    /// Default of the `AssetKeyPrefix` parameter, `SOLUTION/VERSION/`.
    pub key_prefix: String,
    /// Asset name (crate under `assets/`) -> object file name. Names not listed
    /// default to `<name>.zip`; `build-dist` supplies content-hashed names.
    pub files: BTreeMap<String, String>,
    /// Lambda architecture the code was built for: `arm64` or `x86_64`.
    pub architecture: String,
}

impl Default for AssetBinding {
    fn default() -> Self {
        AssetBinding {
            bucket_base: crate::bucket::DEFAULT_BASE.to_string(),
            key_prefix: "streamkit/dev/".to_string(),
            files: BTreeMap::new(),
            architecture: "arm64".to_string(),
        }
    }
}

/// Inputs to one render besides the manifest.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Setting overrides (`engine=flink`), checked against the manifest.
    pub settings: Vec<(String, String)>,
    pub assets: AssetBinding,
}

/// A rendered and validated template.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub manifest: Manifest,
    pub settings: BTreeMap<String, String>,
    pub template: Value,
}

impl Rendered {
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.template).expect("JSON value serializes");
        text.push('\n');
        text
    }

    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(&self.template).expect("JSON value serializes as YAML")
    }

    /// Logical IDs and types of every resource.
    pub fn resources(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.template["Resources"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.iter())
    }
}

/// Renders a manifest with the given options and validates the result.
///
/// The embedded fragments are parsed once per process (parsing them is most of
/// a render's cost) and every stack renders from that one Tera instance.
pub fn render(manifest: &Manifest, opts: &RenderOptions) -> Result<Rendered> {
    render_traced(manifest, opts, &|_, _| {})
}

/// [`render`], showing each fragment's rendered text (path, text) to `trace`
/// before it is parsed (what `STREAMKIT_DEBUG_FRAGMENTS` prints).
pub fn render_traced(
    manifest: &Manifest,
    opts: &RenderOptions,
    trace: &dyn Fn(&str, &str),
) -> Result<Rendered> {
    static EMBEDDED: OnceLock<std::result::Result<Fragments, String>> = OnceLock::new();
    let fragments = EMBEDDED
        .get_or_init(|| {
            let sources = catalog::fragment_sources();
            let borrowed: Vec<(&str, &str)> =
                sources.iter().map(|(p, s)| (p.as_str(), *s)).collect();
            Fragments::parse(&borrowed).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|message| Error::Fragment {
            file: "templates/".to_string(),
            message: message.clone(),
        })?;
    render_from(manifest, opts, fragments, trace)
}

/// Renders `manifest` from the given fragment sources (`path under templates/`,
/// text) instead of the embedded ones; used for fixtures in tests.
pub fn render_with(
    manifest: &Manifest,
    opts: &RenderOptions,
    sources: &[(&str, &str)],
) -> Result<Rendered> {
    render_from(manifest, opts, &Fragments::parse(sources)?, &|_, _| {})
}

/// Parsed fragments: the Tera instance and the paths it knows.
struct Fragments {
    tera: tera::Tera,
}

impl Fragments {
    fn parse(sources: &[(&str, &str)]) -> Result<Fragments> {
        let mut tera = tera::Tera::default();
        // Fragments are YAML: never HTML-escape (pinned by a test).
        tera.autoescape_on(vec![]);
        tera.add_raw_templates(sources.iter().copied())
            .map_err(|e| Error::Fragment {
                file: "templates/".to_string(),
                message: error_chain(&e),
            })?;
        Ok(Fragments { tera })
    }

    fn contains(&self, fragment: &str) -> bool {
        self.tera.get_template_names().any(|name| name == fragment)
    }
}

fn render_from(
    manifest: &Manifest,
    opts: &RenderOptions,
    fragments: &Fragments,
    trace: &dyn Fn(&str, &str),
) -> Result<Rendered> {
    let settings = manifest.resolve_settings(&opts.settings)?;
    let tera = &fragments.tera;
    let context = context(manifest, &settings, &opts.assets)?;

    let mut sections: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    let mut origins = Origins::new();
    let mut dashboard_sections = Vec::new();
    let mut labels = Map::new();

    for fragment in &manifest.fragments {
        if !fragments.contains(fragment) {
            return Err(Error::Manifest {
                file: manifest.file.clone(),
                message: format!("fragment '{fragment}' does not exist under templates/"),
            });
        }
        let doc = render_fragment(tera, fragment, &context, trace)?;
        for (key, value) in doc {
            if key == DASHBOARD_KEY {
                let list = value.as_array().cloned().ok_or_else(|| Error::Fragment {
                    file: format!("templates/{fragment}"),
                    message: format!("{DASHBOARD_KEY} must be a list of sections"),
                })?;
                dashboard_sections.extend(list);
                continue;
            }
            let Some(section) = SECTIONS.iter().find(|s| **s == key) else {
                return Err(Error::Fragment {
                    file: format!("templates/{fragment}"),
                    message: format!(
                        "unknown top-level key '{key}'; allowed: {}, {DASHBOARD_KEY}",
                        SECTIONS.join(", ")
                    ),
                });
            };
            let Value::Object(entries) = value else {
                return Err(Error::Fragment {
                    file: format!("templates/{fragment}"),
                    message: format!("{key} must be a mapping"),
                });
            };
            for (id, mut def) in entries {
                let origin = format!("templates/{fragment}");
                // Parameters and resources share one namespace in CloudFormation;
                // conditions and outputs each have their own.
                let key_space = match *section {
                    "Parameters" | "Resources" => "Parameters/Resources".to_string(),
                    other => other.to_string(),
                };
                if let Some(first) = origins.get(&format!("{key_space}:{id}")) {
                    return Err(Error::template(
                        origin,
                        id,
                        format!("logical ID collision: already defined in {first}"),
                    ));
                }
                origins.insert(format!("{key_space}:{id}"), origin.clone());
                origins.insert(id.clone(), origin);
                if *section == "Parameters" {
                    if let Some(label) = def.as_object_mut().and_then(|m| m.remove("Label")) {
                        labels.insert(id.clone(), json!({ "default": label }));
                    }
                }
                sections.entry(section).or_default().insert(id, def);
            }
        }
    }

    if !dashboard_sections.is_empty() {
        let resources = sections.entry("Resources").or_default();
        dashboard::attach(resources, &dashboard_sections, &origins)?;
    }

    let mut template = Map::new();
    template.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    template.insert(
        "Description".into(),
        json!(format!("{} (streamkit)", manifest.template_description)),
    );
    let groups: Vec<Value> = manifest
        .parameter_groups
        .iter()
        .map(|g| json!({ "Label": { "default": g.label }, "Parameters": g.parameters }))
        .collect();
    template.insert(
        "Metadata".into(),
        json!({ "AWS::CloudFormation::Interface": {
            "ParameterGroups": groups,
            "ParameterLabels": labels,
        }}),
    );
    for section in SECTIONS {
        if let Some(entries) = sections.remove(section) {
            template.insert(section.to_string(), Value::Object(entries));
        }
    }
    let mut template = Value::Object(template);
    for (old, new) in apigw::content_address(&mut template) {
        if let Some(origin) = origins.get(&old).cloned() {
            origins.insert(new, origin);
        }
    }
    validate::validate(&template, &origins, manifest)?;
    Ok(Rendered {
        manifest: manifest.clone(),
        settings,
        template,
    })
}

/// Renders every embedded pattern with default settings.
pub fn render_all(opts: &RenderOptions) -> Result<Vec<Rendered>> {
    catalog::all()?.iter().map(|m| render(m, opts)).collect()
}

fn context(
    manifest: &Manifest,
    settings: &BTreeMap<String, String>,
    assets: &AssetBinding,
) -> Result<tera::Context> {
    let mut files = BTreeMap::new();
    for name in &manifest.assets {
        let file = assets
            .files
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("{name}.zip"));
        files.insert(name.clone(), file);
    }
    let mut ctx = tera::Context::new();
    ctx.insert(
        "pattern",
        &json!({ "id": manifest.id, "name": manifest.name, "title": manifest.title }),
    );
    ctx.insert("settings", settings);
    ctx.insert("vars", &manifest.vars);
    ctx.insert(
        "assets",
        &json!({
            "bucket_base": assets.bucket_base,
            "key_prefix": assets.key_prefix,
            "files": files,
            "architecture": assets.architecture,
        }),
    );
    Ok(ctx)
}

fn render_fragment(
    tera: &tera::Tera,
    fragment: &str,
    context: &tera::Context,
    trace: &dyn Fn(&str, &str),
) -> Result<Map<String, Value>> {
    let file = format!("templates/{fragment}");
    let text = tera
        .render(fragment, context)
        .map_err(|e| Error::Fragment {
            file: file.clone(),
            message: error_chain(&e),
        })?;
    trace(&file, &text);
    let value: Value = serde_yaml_ng::from_str(&text).map_err(|e| Error::Fragment {
        file: file.clone(),
        message: format!("rendered YAML does not parse: {e}"),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(Error::Fragment {
            file,
            message: "a fragment must render to a mapping of template sections".to_string(),
        }),
    }
}

/// Joins an error and its sources into one line (Tera puts the useful part last).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ").replace('\n', " ")
}
