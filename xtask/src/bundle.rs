//! Assembles the upstream pieces in `spec/` into one OpenAPI 3.0.3 document
//! laid out as upstream's own bundle is: the operations under `paths`, every
//! schema they reach under `components.schemas` with the tag's prefix.

use std::{fs, path::Path};

use serde_json::{Map, Value, json};

/// The prefix upstream's bundler gives this tag's schemas, shared ones included.
const PREFIX: &str = "zero-trust-gateway_";
const SCHEMA_REF: &str = "#/components/schemas/";

/// Reads `spec/upstream/` and `spec/gateway-components.json` into one document.
pub fn bundle(spec_dir: &Path) -> Result<Value, String> {
    let operations = read_json(&spec_dir.join("upstream/audit-ssh-settings.operations.json"))?;
    let common_path = spec_dir.join("upstream/common.yaml");
    let common: Value = serde_yaml_ng::from_str(&read(&common_path)?)
        .map_err(|e| format!("{} is not YAML: {e}", common_path.display()))?;
    let gateway = read_json(&spec_dir.join("gateway-components.json"))?;

    let paths = operations["paths"].clone();
    let mut schemas = Map::new();
    let mut pending = Vec::new();
    collect_refs(&paths, &mut pending);
    while let Some(name) = pending.pop() {
        if schemas.contains_key(&name) {
            continue;
        }
        let schema = if let Some(schema) = gateway["schemas"].get(&name) {
            schema.clone()
        } else if let Some(schema) = name
            .strip_prefix(PREFIX)
            .and_then(|shared| common["components"]["schemas"].get(shared))
        {
            // common.yaml refers to its siblings unprefixed; the bundle prefixes them.
            let mut schema = schema.clone();
            prefix_refs(&mut schema);
            schema
        } else {
            return Err(format!(
                "upstream refers to {SCHEMA_REF}{name}, which neither \
                 spec/gateway-components.json nor spec/upstream/common.yaml defines"
            ));
        };
        collect_refs(&schema, &mut pending);
        schemas.insert(name, schema);
    }

    // The document header and security schemes of upstream's openapi.json,
    // which the operations fragment does not carry.
    Ok(json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Cloudflare API",
            "description": "Interact with Cloudflare's products and services via the Cloudflare API.",
            "license": { "name": "BSD-3-Clause", "url": "https://opensource.org/licenses/BSD-3-Clause" },
            "version": "4.0.0"
        },
        "servers": [{ "url": "https://api.cloudflare.com/client/v4", "description": "Client API" }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "api_email": { "type": "apiKey", "in": "header", "name": "X-Auth-Email" },
                "api_key": { "type": "apiKey", "in": "header", "name": "X-Auth-Key" },
                "api_token": { "type": "http", "scheme": "bearer" }
            }
        }
    }))
}

/// Every schema name referred to by a `$ref` inside `value`.
pub fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMA_REF))
            {
                out.push(name.to_string());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn prefix_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref")
                && let Some(name) = target.strip_prefix(SCHEMA_REF)
            {
                *target = format!("{SCHEMA_REF}{PREFIX}{name}");
            }
            map.values_mut().for_each(prefix_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(prefix_refs),
        _ => {}
    }
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn read_json(path: &Path) -> Result<Value, String> {
    serde_json::from_str(&read(path)?).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}
