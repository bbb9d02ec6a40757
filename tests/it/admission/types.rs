//! A static check of the policies' CEL against the Kubernetes OpenAPI schemas, standing in
//! for the type check the API server runs when a policy is created (there is no Kubernetes
//! CEL type checker in Rust).
//!
//! Each expression is parsed by the `cel` crate's parser with no macros expanded, so that
//! `has(a.b)`, `l.all(x, p)`, `l.exists(x, p)`, `l.map(x, f)` and `l.filter(x, p)` stay the
//! calls they are written as. The walk then types every node:
//! - the roots are `object` and `oldObject` (the schema of the policy's one resource:
//!   `pod.json` or `service.json`), `namespaceObject` (`namespace.json`, cut down to the fields
//!   the API server declares, [`namespace_object_schema`]), `request` (a hand-written shape of
//!   the AdmissionRequest as the API server declares it, [`request_schema`]) and `variables` (a
//!   record of the policy's variables, each typed from its expression, in order);
//! - a field selection (`a.b`, and `has(a.b)`) must name a property of an object schema; a
//!   selection on a map, a list, a scalar or a value of unknown type is reported (map keys
//!   such as `tenantc.dev/tenant` are read with `in` and `[...]`);
//! - `all`, `exists`, `exists_one`, `map` and `filter` only on lists; `in` and `[...]` only on
//!   maps (with a string key) and lists (`[...]` with an int index);
//! - `==`/`!=` only between compatible types, `&&`, `||`, `!` and the conditional's test only
//!   on bools, the conditional's branches compatible, `+` on two strings, lists or ints,
//!   `size()` on strings, lists and maps, `startsWith`/`endsWith`/`contains` on strings;
//! - any other function or an unknown name is reported.
//!
//! It is stricter than Kubernetes where that keeps the policies plain (a select on a map
//! compiles there), never looser. When a policy is created the API server type-checks
//! `namespaceObject`, `request` and `variables` as declared here but `object` and `oldObject`
//! only as `dyn`; their fields are checked against the resource's schema here so that a
//! misspelled field is found before it fails (or, under `has()`, silently passes) at run time.

use cel::Env;
use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The type of a CEL value, as far as the check needs it.
#[derive(Clone, Debug)]
pub enum Ty<'s> {
    /// An object with known properties: a schema node; `path` names it in reports.
    Object { schema: &'s Value, path: String },
    /// Named fields with their types: the `variables` of a policy.
    Record(BTreeMap<String, Ty<'s>>),
    /// A map with string keys.
    Map(Box<Ty<'s>>),
    /// A list.
    List(Box<Ty<'s>>),
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `uint`.
    Uint,
    /// `double`.
    Double,
    /// `bool`.
    Bool,
    /// `null`.
    Null,
    /// Unknown: an int-or-string field, an open object, an empty list's element.
    Dyn,
}

impl Ty<'_> {
    /// A short description for reports.
    fn describe(&self) -> String {
        match self {
            Ty::Object { path, .. } => format!("object `{path}`"),
            Ty::Record(_) => "`variables`".into(),
            Ty::Map(v) => format!("map(string, {})", v.describe()),
            Ty::List(e) => format!("list({})", e.describe()),
            Ty::String => "string".into(),
            Ty::Int => "int".into(),
            Ty::Uint => "uint".into(),
            Ty::Double => "double".into(),
            Ty::Bool => "bool".into(),
            Ty::Null => "null".into(),
            Ty::Dyn => "dyn".into(),
        }
    }
}

/// The type of the values a JSON Schema node (of the vendored Kubernetes schemas) describes.
pub fn from_schema<'s>(schema: &'s Value, path: &str) -> Ty<'s> {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    match types.into_iter().find(|t| *t != "null") {
        Some("object") if schema.get("properties").is_some() => Ty::Object {
            schema,
            path: path.to_string(),
        },
        Some("object") => match schema.get("additionalProperties") {
            Some(values) if values.is_object() => {
                Ty::Map(Box::new(from_schema(values, &format!("{path}[*]"))))
            }
            _ => Ty::Dyn,
        },
        Some("array") => Ty::List(Box::new(from_schema(
            &schema["items"],
            &format!("{path}[]"),
        ))),
        Some("string") => Ty::String,
        Some("integer") => Ty::Int,
        Some("number") => Ty::Double,
        Some("boolean") => Ty::Bool,
        _ => Ty::Dyn,
    }
}

/// A hand-written JSON Schema of the `request` variable, as the API server declares it
/// (`BuildRequestType` in k8s.io/apiserver/pkg/admission/plugin/cel/compile.go): the
/// admission.k8s.io/v1 AdmissionRequest without `uid`, `object` and `oldObject`.
pub fn request_schema() -> Value {
    let string = json!({"type": "string"});
    let gvk = json!({"type": "object", "properties": {
        "group": string, "version": string, "kind": string}});
    let gvr = json!({"type": "object", "properties": {
        "group": string, "version": string, "resource": string}});
    json!({"type": "object", "properties": {
        "kind": gvk,
        "resource": gvr,
        "subResource": string,
        "requestKind": gvk,
        "requestResource": gvr,
        "requestSubResource": string,
        "name": string,
        "namespace": string,
        "operation": string,
        "userInfo": {"type": "object", "properties": {
            "username": string,
            "uid": string,
            "groups": {"type": "array", "items": string},
            "extra": {"type": "object", "additionalProperties":
                {"type": "array", "items": string}},
        }},
        "dryRun": {"type": "boolean"},
        "options": {"type": "object"},
    }})
}

/// The fields the API server declares for `namespaceObject` (`BuildNamespaceType` in
/// k8s.io/apiserver/pkg/admission/plugin/cel/compile.go), by object; `namespace.json` has more
/// (`ownerReferences`, `managedFields`, ...), which an expression there cannot select.
const NAMESPACE_FIELDS: [(&str, &[&str]); 4] = [
    ("", &["metadata", "spec", "status"]),
    (
        "metadata",
        &[
            "name",
            "generateName",
            "namespace",
            "labels",
            "annotations",
            "creationTimestamp",
            "deletionGracePeriodSeconds",
            "deletionTimestamp",
            "generation",
            "resourceVersion",
            "finalizers",
        ],
    ),
    ("spec", &["finalizers"]),
    ("status", &["conditions", "phase"]),
];

/// `namespace.json` cut down to the fields the API server declares for `namespaceObject`.
/// (It declares the UID as `UID`, which `namespace.json` spells `uid`; neither is kept.)
pub fn namespace_object_schema(namespace: &Value) -> Value {
    let mut schema = namespace.clone();
    for (object, fields) in NAMESPACE_FIELDS {
        let node = if object.is_empty() {
            &mut schema
        } else {
            &mut schema["properties"][object]
        };
        let properties = node["properties"].as_object_mut().unwrap();
        properties.retain(|name, _| fields.contains(&name.as_str()));
        assert_eq!(
            properties.len(),
            fields.len(),
            "namespace.json lacks a field of {object:?}"
        );
    }
    schema
}

/// The names an expression may start from, with their types.
pub type Roots<'s> = BTreeMap<String, Ty<'s>>;

/// Types `source` under `roots`; the type, or every problem found.
pub fn check<'s>(source: &str, roots: &Roots<'s>) -> Result<Ty<'s>, Vec<String>> {
    let expr = Env::default()
        .parser()
        .parse(source)
        .map_err(|e| vec![format!("does not parse: {e}")])?;
    let mut walk = Walk {
        roots,
        scopes: Vec::new(),
        errors: Vec::new(),
    };
    let ty = walk.expr(&expr);
    if walk.errors.is_empty() {
        Ok(ty)
    } else {
        Err(walk.errors)
    }
}

/// Whether values of `a` and `b` may be compared with `==` (and be the two branches of a
/// conditional).
fn compatible(a: &Ty, b: &Ty) -> bool {
    match (a, b) {
        (Ty::Dyn, _) | (_, Ty::Dyn) => true,
        (Ty::List(x), Ty::List(y)) | (Ty::Map(x), Ty::Map(y)) => compatible(x, y),
        (Ty::Object { schema: x, .. }, Ty::Object { schema: y, .. }) => x == y,
        (Ty::String, Ty::String)
        | (Ty::Int, Ty::Int)
        | (Ty::Uint, Ty::Uint)
        | (Ty::Double, Ty::Double)
        | (Ty::Bool, Ty::Bool)
        | (Ty::Null, Ty::Null) => true,
        _ => false,
    }
}

/// The more precise of two compatible types (`[]` is a `list(dyn)`).
fn join<'s>(a: Ty<'s>, b: Ty<'s>) -> Ty<'s> {
    match (a, b) {
        (Ty::Dyn, other) | (other, Ty::Dyn) => other,
        (Ty::List(x), Ty::List(y)) => Ty::List(Box::new(join(*x, *y))),
        (Ty::Map(x), Ty::Map(y)) => Ty::Map(Box::new(join(*x, *y))),
        (a, _) => a,
    }
}

/// Macros that iterate a list and bind a variable.
const LIST_MACROS: [&str; 5] = ["all", "exists", "exists_one", "map", "filter"];

/// String member functions of CEL's standard library.
const STRING_FUNCTIONS: [&str; 3] = ["startsWith", "endsWith", "contains"];

struct Walk<'r, 's> {
    roots: &'r Roots<'s>,
    /// Variables bound by macros, innermost last.
    scopes: Vec<(String, Ty<'s>)>,
    errors: Vec<String>,
}

impl<'s> Walk<'_, 's> {
    fn error(&mut self, message: String) -> Ty<'s> {
        self.errors.push(message);
        Ty::Dyn
    }

    fn expr(&mut self, e: &IdedExpr) -> Ty<'s> {
        match &e.expr {
            Expr::Ident(name) => self.ident(name),
            Expr::Select(select) => {
                let operand = self.expr(&select.operand);
                self.field(&operand, &select.field)
            }
            Expr::Call(call) => self.call(&call.func_name, call.target.as_deref(), &call.args),
            Expr::Literal(literal) => match literal {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Bytes(_) => self.error("bytes literals are not used".into()),
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::Int(_) => Ty::Int,
                LiteralValue::Null => Ty::Null,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::UInt(_) => Ty::Uint,
            },
            Expr::List(list) => {
                let mut element = Ty::Dyn;
                for item in &list.elements {
                    let ty = self.expr(item);
                    if !compatible(&element, &ty) {
                        return self.error(format!(
                            "a list literal mixes {} and {}",
                            element.describe(),
                            ty.describe()
                        ));
                    }
                    element = join(element, ty);
                }
                Ty::List(Box::new(element))
            }
            Expr::Map(map) => {
                let mut value = Ty::Dyn;
                for entry in &map.entries {
                    let EntryExpr::MapEntry(entry) = &entry.expr else {
                        return self.error("a struct field in a map literal".into());
                    };
                    if !matches!(self.expr(&entry.key), Ty::String) {
                        return self.error("a map literal with a key that is not a string".into());
                    }
                    let ty = self.expr(&entry.value);
                    value = join(value, ty);
                }
                Ty::Map(Box::new(value))
            }
            other => self.error(format!("unsupported expression {other:?}")),
        }
    }

    fn ident(&mut self, name: &str) -> Ty<'s> {
        if let Some((_, ty)) = self.scopes.iter().rev().find(|(n, _)| n == name) {
            return ty.clone();
        }
        match self.roots.get(name) {
            Some(ty) => ty.clone(),
            None => self.error(format!("unknown name `{name}`")),
        }
    }

    /// The type of `operand.field`: the field must be a property of an object schema.
    fn field(&mut self, operand: &Ty<'s>, field: &str) -> Ty<'s> {
        match operand {
            Ty::Object { schema, path } => match schema["properties"].get(field) {
                Some(property) => from_schema(property, &format!("{path}.{field}")),
                None => self.error(format!("`{path}` has no field `{field}`")),
            },
            Ty::Record(fields) => match fields.get(field) {
                Some(ty) => ty.clone(),
                None => self.error(format!("`variables` has no variable `{field}`")),
            },
            other => self.error(format!(
                "`.{field}` selected on {}, which has no fields (use `in` and [...] on maps)",
                other.describe()
            )),
        }
    }

    fn expect(&mut self, ty: &Ty<'s>, wanted: &Ty<'s>, what: &str) {
        if !compatible(ty, wanted) {
            self.error(format!(
                "{what} is {}, not {}",
                ty.describe(),
                wanted.describe()
            ));
        }
    }

    fn call(&mut self, name: &str, target: Option<&IdedExpr>, args: &[IdedExpr]) -> Ty<'s> {
        if let Some(target) = target {
            if LIST_MACROS.contains(&name) {
                return self.list_macro(name, target, args);
            }
            let receiver = self.expr(target);
            return self.member(name, receiver, args);
        }
        match (name, args) {
            ("has", [arg]) => self.has(arg),
            ("size", [arg]) => {
                let ty = self.expr(arg);
                self.size(ty)
            }
            ("_&&_" | "_||_", [a, b]) => {
                for arg in [a, b] {
                    let ty = self.expr(arg);
                    self.expect(&ty, &Ty::Bool, &format!("an operand of {name}"));
                }
                Ty::Bool
            }
            ("!_", [a]) => {
                let ty = self.expr(a);
                self.expect(&ty, &Ty::Bool, "the operand of !");
                Ty::Bool
            }
            ("_==_" | "_!=_" | "_<_" | "_<=_" | "_>_" | "_>=_", [a, b]) => {
                let (x, y) = (self.expr(a), self.expr(b));
                if !compatible(&x, &y) {
                    self.error(format!(
                        "{name} compares {} with {}",
                        x.describe(),
                        y.describe()
                    ));
                }
                Ty::Bool
            }
            ("_?_:_", [test, yes, no]) => {
                let ty = self.expr(test);
                self.expect(&ty, &Ty::Bool, "the test of ?:");
                let (x, y) = (self.expr(yes), self.expr(no));
                if !compatible(&x, &y) {
                    return self.error(format!(
                        "the branches of ?: are {} and {}",
                        x.describe(),
                        y.describe()
                    ));
                }
                join(x, y)
            }
            ("_+_", [a, b]) => {
                let (x, y) = (self.expr(a), self.expr(b));
                match (&x, &y) {
                    (Ty::String, Ty::String) | (Ty::Int, Ty::Int) => x,
                    (Ty::List(_), Ty::List(_)) if compatible(&x, &y) => join(x, y),
                    _ => self.error(format!("+ on {} and {}", x.describe(), y.describe())),
                }
            }
            ("@in", [element, container]) => {
                let (x, c) = (self.expr(element), self.expr(container));
                match &c {
                    Ty::Map(_) => self.expect(&x, &Ty::String, "a map key tested with `in`"),
                    Ty::List(e) => self.expect(&x, e, "an element tested with `in`"),
                    other => {
                        self.error(format!("`in` on {}, not a map or list", other.describe()));
                    }
                }
                Ty::Bool
            }
            ("_[_]", [container, index]) => {
                let (c, i) = (self.expr(container), self.expr(index));
                match c {
                    Ty::Map(value) => {
                        self.expect(&i, &Ty::String, "a map index");
                        *value
                    }
                    Ty::List(element) => {
                        self.expect(&i, &Ty::Int, "a list index");
                        *element
                    }
                    other => {
                        self.error(format!("[...] on {}, not a map or list", other.describe()))
                    }
                }
            }
            _ => self.error(format!(
                "function `{name}` with {} argument(s) is not one the check knows",
                args.len()
            )),
        }
    }

    /// `has(a.b)`: `b` must be a field of `a`'s object schema.
    fn has(&mut self, arg: &IdedExpr) -> Ty<'s> {
        let Expr::Select(select) = &arg.expr else {
            return self.error("has() takes a field selection".into());
        };
        let operand = self.expr(&select.operand);
        self.field(&operand, &select.field);
        Ty::Bool
    }

    fn size(&mut self, ty: Ty<'s>) -> Ty<'s> {
        match ty {
            Ty::String | Ty::List(_) | Ty::Map(_) => Ty::Int,
            other => self.error(format!("size() of {}", other.describe())),
        }
    }

    /// `target.name(args)` for functions that are not macros.
    fn member(&mut self, name: &str, receiver: Ty<'s>, args: &[IdedExpr]) -> Ty<'s> {
        match (name, args) {
            ("size", []) => self.size(receiver),
            (f, [arg]) if STRING_FUNCTIONS.contains(&f) => {
                self.expect(&receiver, &Ty::String, &format!("the receiver of {f}()"));
                let ty = self.expr(arg);
                self.expect(&ty, &Ty::String, &format!("the argument of {f}()"));
                Ty::Bool
            }
            _ => self.error(format!(
                "method `{name}` on {} is not one the check knows",
                receiver.describe()
            )),
        }
    }

    /// `list.all(x, p)` and its kin: only on lists; `x` is bound to the element type.
    fn list_macro(&mut self, name: &str, target: &IdedExpr, args: &[IdedExpr]) -> Ty<'s> {
        let element = match self.expr(target) {
            Ty::List(element) => element,
            other => {
                return self.error(format!(
                    "`{name}` on {}, which is not a list",
                    other.describe()
                ));
            }
        };
        let Some(IdedExpr {
            expr: Expr::Ident(variable),
            ..
        }) = args.first()
        else {
            return self.error(format!("`{name}` needs a variable name first"));
        };
        self.scopes.push((variable.clone(), (*element).clone()));
        let bodies: Vec<Ty<'s>> = args[1..].iter().map(|a| self.expr(a)).collect();
        self.scopes.pop();
        match (name, bodies.as_slice()) {
            ("all" | "exists" | "exists_one", [predicate]) => {
                self.expect(predicate, &Ty::Bool, &format!("the predicate of {name}"));
                Ty::Bool
            }
            ("filter", [predicate]) => {
                self.expect(predicate, &Ty::Bool, "the predicate of filter");
                Ty::List(element)
            }
            ("map", [transform]) => Ty::List(Box::new(transform.clone())),
            ("map", [predicate, transform]) => {
                self.expect(predicate, &Ty::Bool, "the filter of map");
                Ty::List(Box::new(transform.clone()))
            }
            _ => self.error(format!("`{name}` with {} arguments", args.len())),
        }
    }
}
