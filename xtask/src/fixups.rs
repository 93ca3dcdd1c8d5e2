//! Corrections of upstream's document, each named after what it fixes.
//!
//! Every fix-up reports how many places it changed; one that changes nothing
//! fails generation with its name, so a dead patch is noticed (and removed)
//! as soon as upstream fixes the defect it works around.

use serde_json::{Map, Value, json};

use crate::bundle::collect_refs;

const SCHEMA_REF: &str = "#/components/schemas/";

/// A named correction of the upstream document.
struct FixUp {
    name: &'static str,
    /// What the fix-up looks for, shown when it finds nothing.
    looks_for: &'static str,
    apply: fn(&mut Value) -> Result<usize, String>,
}

/// In order: later fix-ups find schemas by the names the first one gives.
const FIXUPS: &[FixUp] = &[
    FixUp {
        name: "stable_component_names",
        looks_for: "component schemas named with the tag prefix `zero-trust-gateway_`",
        apply: stable_component_names,
    },
    FixUp {
        name: "unsatisfiable_4xx",
        looks_for: "a `4XX` response that is allOf [success body, failure body]",
        apply: unsatisfiable_4xx,
    },
    FixUp {
        name: "failure_errors_min_length",
        looks_for: "`minLength` on an array property of FailureResponse",
        apply: failure_errors_min_length,
    },
    FixUp {
        name: "message_error_chain",
        looks_for: "a Messages schema whose items lack `error_chain`",
        apply: message_error_chain,
    },
    FixUp {
        name: "either_credential_security",
        looks_for: "a security requirement AND-ing api_email, api_key and api_token",
        apply: either_credential_security,
    },
    FixUp {
        name: "short_operation_ids",
        looks_for: "the long prefixed operationIds of get, update and rotate_seed",
        apply: short_operation_ids,
    },
    FixUp {
        name: "account_id_hex32",
        looks_for: "an AccountId schema with only `maxLength: 32`",
        apply: account_id_hex32,
    },
];

/// Applies every fix-up, failing on the first one that finds nothing to fix.
pub fn apply_all(spec: &mut Value) -> Result<(), String> {
    for fixup in FIXUPS {
        let changed = (fixup.apply)(spec).map_err(|e| format!("fix-up `{}`: {e}", fixup.name))?;
        if changed == 0 {
            return Err(format!(
                "fix-up `{}` never applied: found no {}. If upstream fixed it, delete the \
                 fix-up from xtask/src/fixups.rs",
                fixup.name, fixup.looks_for
            ));
        }
    }
    Ok(())
}

/// Upstream defect 6: schema names carry numeric suffixes that change between
/// upstream versions (`single_response-6`), and the prefix makes every type
/// `ZeroTrustGateway…`. Names are given by the role a schema plays (shape),
/// falling back to the name without prefix and suffix.
fn stable_component_names(spec: &mut Value) -> Result<usize, String> {
    let mut renames: Vec<(String, String)> = Vec::new();
    let mut by_role = |old: Option<String>, new: &str| -> Result<(), String> {
        let old =
            old.ok_or_else(|| format!("cannot find the schema that plays the role of {new}"))?;
        match renames.iter().find(|(o, _)| *o == old) {
            Some((_, n)) if n != new => Err(format!("{old} plays the roles of both {n} and {new}")),
            Some(_) => Ok(()),
            None => {
                renames.push((old, new.to_string()));
                Ok(())
            }
        }
    };

    for (_, op) in operations(spec) {
        let success = ref_name(&op["responses"]["200"]["content"]["application/json"]["schema"]);
        let result = success.as_ref().and_then(|name| {
            spec["components"]["schemas"][name]["allOf"]
                .as_array()?
                .iter()
                .find_map(|part| ref_name(&part["properties"]["result"]))
        });
        // The failure body: the 4XX schema itself, or its allOf part that is
        // not the success body (upstream defect 1, fixed below).
        let failure_schema = &op["responses"]["4XX"]["content"]["application/json"]["schema"];
        let failure = ref_name(failure_schema).or_else(|| {
            failure_schema["allOf"]
                .as_array()?
                .iter()
                .filter_map(ref_name)
                .find(|n| Some(n) != success.as_ref())
        });
        let account = op["parameters"].as_array().and_then(|params| {
            params
                .iter()
                .find(|p| p["name"] == "account_id")
                .and_then(|p| ref_name(&p["schema"]))
        });
        by_role(success, "SettingsResponse")?;
        by_role(result, "GatewaySettings")?;
        by_role(failure, "FailureResponse")?;
        by_role(account, "AccountId")?;
        if let Some(body) = op.get("requestBody") {
            let key = ref_name(
                &body["content"]["application/json"]["schema"]["properties"]["public_key"],
            );
            by_role(key, "PublicKey")?;
        }
    }
    let names: Vec<String> = spec["components"]["schemas"]
        .as_object()
        .map(|schemas| schemas.keys().cloned().collect())
        .unwrap_or_default();
    for old in names {
        if renames.iter().any(|(o, _)| *o == old) {
            continue;
        }
        if let Some(rest) = old.strip_prefix("zero-trust-gateway_") {
            let new = match rest.rsplit_once('-') {
                Some((stem, digits)) if digits.chars().all(|c| c.is_ascii_digit()) => stem,
                _ => rest,
            };
            renames.push((old.clone(), new.to_string()));
        }
    }
    if !renames
        .iter()
        .any(|(old, _)| old.starts_with("zero-trust-gateway_"))
    {
        return Ok(0);
    }

    let schemas = spec["components"]["schemas"]
        .as_object_mut()
        .ok_or("no components.schemas")?;
    let mut renamed = Map::new();
    for (old, schema) in std::mem::take(schemas) {
        let new = renames
            .iter()
            .find(|(o, _)| *o == old)
            .map_or(old.clone(), |(_, n)| n.clone());
        if renamed.insert(new.clone(), schema).is_some() {
            return Err(format!("two schemas would both be named {new}"));
        }
    }
    *schemas = renamed;
    rewrite_refs(spec, &renames);
    Ok(renames.len())
}

/// Upstream defect 1: every `4XX` response is allOf [success body, failure
/// body], which no body satisfies (`success` must be both true and false); a
/// real 403 would fail to decode. The failure body alone is what is sent.
fn unsatisfiable_4xx(spec: &mut Value) -> Result<usize, String> {
    let mut changed = 0;
    for (_, op) in operations_mut(spec) {
        let schema = &mut op["responses"]["4XX"]["content"]["application/json"]["schema"];
        let is_both = schema["allOf"].as_array().is_some_and(|parts| {
            let names: Vec<_> = parts.iter().filter_map(ref_name).collect();
            names.iter().any(|n| n == "SettingsResponse")
                && names.iter().any(|n| n == "FailureResponse")
        });
        if is_both {
            *schema = json!({ "$ref": format!("{SCHEMA_REF}FailureResponse") });
            changed += 1;
        }
    }
    Ok(changed)
}

/// Upstream defect 2: the failure body's `errors` carries `minLength: 1`, a
/// string keyword, on an array (progenitor turns it into an uninhabited type).
/// What upstream means is "at least one error": the array keyword `minItems`.
fn failure_errors_min_length(spec: &mut Value) -> Result<usize, String> {
    let mut changed = 0;
    let properties = &mut spec["components"]["schemas"]["FailureResponse"]["properties"];
    if let Some(properties) = properties.as_object_mut() {
        for property in properties.values_mut() {
            let is_array = property["allOf"].is_array() || property["type"] == "array";
            if let (true, Some(map)) = (is_array, property.as_object_mut())
                && let Some(min) = map.remove("minLength")
            {
                map.insert("minItems".into(), min);
                changed += 1;
            }
        }
    }
    Ok(changed)
}

/// Upstream's messages omit the nested `error_chain` the API sends with some
/// errors (6003 "Invalid request headers" carries 6111, 6102 or 6103), so a
/// generated client would drop the cause. The message item becomes a named
/// schema `Message` with an optional `error_chain` of further messages.
fn message_error_chain(spec: &mut Value) -> Result<usize, String> {
    let schemas = spec["components"]["schemas"]
        .as_object_mut()
        .ok_or("no components.schemas")?;
    let Some(items) = schemas.get_mut("messages").and_then(|m| m.get_mut("items")) else {
        return Ok(0);
    };
    if items.get("$ref").is_some() || items["properties"].get("error_chain").is_some() {
        return Ok(0);
    }
    let mut message = std::mem::replace(items, json!({ "$ref": format!("{SCHEMA_REF}Message") }));
    message["properties"]["error_chain"] = json!({
        "description": "Further messages that explain this one.",
        "type": "array",
        "items": { "$ref": format!("{SCHEMA_REF}Message") }
    });
    schemas.insert("Message".into(), message);
    Ok(1)
}

/// Upstream defect 3: `security` is one requirement AND-ing all three schemes;
/// the API takes a token, or an email with a key.
fn either_credential_security(spec: &mut Value) -> Result<usize, String> {
    let mut changed = 0;
    for (_, op) in operations_mut(spec) {
        let and_ed = op["security"].as_array().is_some_and(|reqs| {
            reqs.iter().any(|r| {
                ["api_email", "api_key", "api_token"]
                    .iter()
                    .all(|k| r.get(k).is_some())
            })
        });
        if and_ed {
            op["security"] = json!([{ "api_token": [] }, { "api_email": [], "api_key": [] }]);
            changed += 1;
        }
    }
    Ok(changed)
}

/// Upstream defect 4: operationIds are long and prefixed; progenitor names
/// methods after them. These are the names the calls have in our SDK.
fn short_operation_ids(spec: &mut Value) -> Result<usize, String> {
    const NAMES: &[(&str, &str)] = &[
        ("zero-trust-get-audit-ssh-settings", "get_settings"),
        ("zero-trust-update-audit-ssh-settings", "update_settings"),
        ("zero-trust-rotate-ssh-account-seed", "rotate_seed"),
    ];
    let mut changed = 0;
    for (_, op) in operations_mut(spec) {
        let id = op["operationId"].as_str().unwrap_or_default();
        if let Some((_, short)) = NAMES.iter().find(|(long, _)| *long == id) {
            op["operationId"] = json!(short);
            changed += 1;
        }
    }
    if changed != 0 && changed != NAMES.len() {
        return Err(format!(
            "renamed {changed} of {} operations: upstream renamed one",
            NAMES.len()
        ));
    }
    Ok(changed)
}

/// Upstream defect 5: `account_id` carries only `maxLength: 32`, so `.` and
/// `..` pass and, put in the path, escape `/accounts/`. An account id is 32
/// lower-case hex characters.
fn account_id_hex32(spec: &mut Value) -> Result<usize, String> {
    let schema = &mut spec["components"]["schemas"]["AccountId"];
    if schema["maxLength"] != 32 || schema.get("pattern").is_some() {
        return Ok(0);
    }
    schema["minLength"] = json!(32);
    schema["pattern"] = json!("^[0-9a-f]{32}$");
    Ok(1)
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

fn operations(spec: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    if let Some(paths) = spec["paths"].as_object() {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    out.push((format!("{method} {path}"), op));
                }
            }
        }
    }
    out
}

fn operations_mut(spec: &mut Value) -> Vec<(String, &mut Value)> {
    let mut out = Vec::new();
    if let Some(paths) = spec["paths"].as_object_mut() {
        for (path, item) in paths {
            if let Some(item) = item.as_object_mut() {
                for (method, op) in item.iter_mut() {
                    if METHODS.contains(&method.as_str()) {
                        out.push((format!("{method} {path}"), op));
                    }
                }
            }
        }
    }
    out
}

fn ref_name(value: &Value) -> Option<String> {
    let mut names = Vec::new();
    if let Some(r) = value.get("$ref") {
        collect_refs(&json!({ "$ref": r }), &mut names);
    }
    names.pop()
}

fn rewrite_refs(value: &mut Value, renames: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref")
                && let Some((_, new)) = renames
                    .iter()
                    .find(|(old, _)| target.strip_prefix(SCHEMA_REF) == Some(old))
            {
                *target = format!("{SCHEMA_REF}{new}");
            }
            map.values_mut().for_each(|v| rewrite_refs(v, renames));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, renames)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "zero-trust-gateway_";

    fn upstream() -> Value {
        let spec_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
        crate::bundle::bundle(&spec_dir).expect("spec/ bundles")
    }

    fn for_each_operation(spec: &mut Value, mut f: impl FnMut(&mut Value)) {
        for (_, op) in operations_mut(spec) {
            f(op);
        }
    }

    #[test]
    fn every_fixup_applies_to_upstream() {
        let mut spec = upstream();
        apply_all(&mut spec).unwrap();
        assert_eq!(
            spec["components"]["schemas"]["AccountId"]["pattern"],
            "^[0-9a-f]{32}$"
        );
    }

    /// Simulates upstream fixing each defect: the fix-up for it must then
    /// fail generation, by name.
    #[test]
    fn a_fixup_whose_target_is_gone_fails_with_its_name() {
        type Fix = fn(&mut Value);
        let cases: [(&str, Fix); 7] = [
            ("stable_component_names", |spec| {
                let schemas = spec["components"]["schemas"].as_object().unwrap().clone();
                let renames: Vec<(String, String)> = schemas
                    .keys()
                    .map(|k| (k.clone(), k.trim_start_matches(P).replace('-', "_")))
                    .collect();
                spec["components"]["schemas"] = Value::Object(
                    schemas
                        .into_iter()
                        .map(|(k, v)| (k.trim_start_matches(P).replace('-', "_"), v))
                        .collect(),
                );
                rewrite_refs(spec, &renames);
            }),
            ("unsatisfiable_4xx", |spec| {
                for_each_operation(spec, |op| {
                    op["responses"]["4XX"]["content"]["application/json"]["schema"] =
                        json!({ "$ref": format!("{SCHEMA_REF}{P}api-response-common-failure") });
                })
            }),
            ("failure_errors_min_length", |spec| {
                let errors = &mut spec["components"]["schemas"]
                    [format!("{P}api-response-common-failure")]["properties"]["errors"];
                errors.as_object_mut().unwrap().remove("minLength");
            }),
            ("message_error_chain", |spec| {
                spec["components"]["schemas"][format!("{P}messages")]["items"]["properties"]["error_chain"] =
                    json!({ "type": "array" });
            }),
            ("either_credential_security", |spec| {
                for_each_operation(spec, |op| op["security"] = json!([{ "api_token": [] }]))
            }),
            ("short_operation_ids", |spec| {
                for_each_operation(spec, |op| {
                    let id = op["operationId"]
                        .as_str()
                        .unwrap()
                        .replace("zero-trust-", "");
                    op["operationId"] = json!(id);
                })
            }),
            ("account_id_hex32", |spec| {
                spec["components"]["schemas"][format!("{P}identifier-2")]["pattern"] =
                    json!("^[0-9a-f]{32}$");
            }),
        ];
        for (name, fix) in cases {
            let mut spec = upstream();
            fix(&mut spec);
            let err = apply_all(&mut spec).expect_err(name);
            assert!(
                err.starts_with(&format!("fix-up `{name}` never applied")),
                "{name}: {err}"
            );
        }
    }
}
