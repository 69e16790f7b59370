//! The UI's callers of the Tauri commands, generated from the command
//! functions themselves (never written by hand): the commands registered in
//! `lib.rs`'s `generate_handler!`, their argument names (camelCase, as Tauri
//! expects them) and types, and what they return. A test fails when
//! `ui/src/generated/commands.ts` is stale;
//! `MENTORLIVE_UPDATE_BINDINGS=1 cargo test -p mentorlive-app bindings`
//! rewrites it.
//!
//! Our own generator rather than tauri-specta: the types already come from
//! ts-rs (bindings.rs), and specta would be a second derive on every type for
//! a few dozen lines of reading `syn` trees.

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use syn::{FnArg, GenericArgument, Item, PathArguments, ReturnType, Type};

    /// Arguments Tauri fills in itself; the UI never passes them.
    const INJECTED: &[&str] = &["State", "AppHandle", "Window", "WebviewWindow", "Webview"];

    struct Command {
        name: String,
        /// The `#[cfg(...)]` the handler list puts on it, shown in a comment.
        cfg: Option<String>,
        args: Vec<(String, String)>,
        /// Takes the request's raw body (`tauri::ipc::Request`).
        raw_body: bool,
        returns: String,
        doc: Vec<String>,
    }

    fn src_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
    }

    /// The paths in `generate_handler![…]`, each with its attributes.
    fn registered() -> Vec<(syn::Path, Option<String>)> {
        let lib = std::fs::read_to_string(src_dir().join("lib.rs")).expect("lib.rs");
        let start = lib
            .find("generate_handler![")
            .expect("lib.rs registers its commands with generate_handler!")
            + "generate_handler![".len();
        let end = start + closing_bracket(&lib[start..]);
        let items = &lib[start..end];
        let parser = syn::punctuated::Punctuated::<HandlerItem, syn::Token![,]>::parse_terminated;
        let parsed = syn::parse::Parser::parse_str(parser, items).expect("the handler list parses");
        parsed
            .into_iter()
            .map(|item| (item.path, item.cfg))
            .collect()
    }

    /// The index of the `]` that closes a list whose `[` came just before.
    fn closing_bracket(s: &str) -> usize {
        let mut depth = 1;
        for (i, c) in s.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
        }
        panic!("generate_handler! is not closed");
    }

    struct HandlerItem {
        path: syn::Path,
        cfg: Option<String>,
    }

    impl syn::parse::Parse for HandlerItem {
        fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
            let attrs = input.call(syn::Attribute::parse_outer)?;
            let path = input.parse()?;
            let cfg = attrs.iter().find(|a| a.path().is_ident("cfg")).map(|a| {
                let meta = a.meta.require_list().expect("cfg(…)");
                meta.tokens
                    .to_string()
                    .replace(" (", "(")
                    .replace(" ,", ",")
            });
            Ok(HandlerItem { path, cfg })
        }
    }

    fn read_command(path: &syn::Path, cfg: Option<String>) -> Command {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let (module, name) = match segments.as_slice() {
            [module, name] => (module.clone(), name.clone()),
            _ => panic!("commands are registered as module::name, found {segments:?}"),
        };
        let file = src_dir().join(format!("{module}.rs"));
        let source = std::fs::read_to_string(&file).expect("the command's module");
        let parsed = syn::parse_file(&source).expect("the module parses");
        let function = parsed
            .items
            .iter()
            .find_map(|item| match item {
                Item::Fn(f) if f.sig.ident == name => Some(f),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{module}::{name} is not a function of {}", file.display()));
        assert!(
            function.attrs.iter().any(|a| a
                .path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "command")),
            "{module}::{name} is registered but not a #[tauri::command]"
        );
        let mut args = Vec::new();
        let mut raw_body = false;
        for input in &function.sig.inputs {
            let FnArg::Typed(arg) = input else { continue };
            let last = last_segment(&arg.ty);
            if INJECTED.contains(&last.as_str()) {
                continue;
            }
            if last == "Request" {
                raw_body = true;
                continue;
            }
            let syn::Pat::Ident(ident) = arg.pat.as_ref() else {
                panic!("{name}: arguments are plain names");
            };
            args.push((camel_case(&ident.ident.to_string()), typescript(&arg.ty)));
        }
        let returns = match &function.sig.output {
            ReturnType::Default => "void".to_owned(),
            ReturnType::Type(_, ty) => typescript(ok_type(ty)),
        };
        let doc = function
            .attrs
            .iter()
            .filter_map(|a| match &a.meta {
                syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value().trim().to_owned()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        Command {
            name,
            cfg,
            args,
            raw_body,
            returns,
            doc,
        }
    }

    fn last_segment(ty: &Type) -> String {
        match ty {
            Type::Path(p) => p
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default(),
            Type::Reference(r) => last_segment(&r.elem),
            _ => String::new(),
        }
    }

    fn generic(ty: &Type) -> Vec<&Type> {
        let Type::Path(p) = ty else { return Vec::new() };
        let Some(last) = p.path.segments.last() else {
            return Vec::new();
        };
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return Vec::new();
        };
        args.args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    /// What a command resolves with: the `T` of `Result<T, _>` and of our
    /// `ClientResult<T>`; a command that cannot fail returns its type.
    fn ok_type(ty: &Type) -> &Type {
        match last_segment(ty).as_str() {
            "Result" | "ClientResult" => generic(ty).first().copied().expect("Result<T>"),
            _ => ty,
        }
    }

    fn typescript(ty: &Type) -> String {
        if let Type::Tuple(t) = ty {
            assert!(t.elems.is_empty(), "tuples do not cross to the UI");
            return "void".to_owned();
        }
        if let Type::Reference(r) = ty {
            return typescript(&r.elem);
        }
        let last = last_segment(ty);
        let inner = generic(ty);
        match last.as_str() {
            "String" | "str" => "string".to_owned(),
            "bool" => "boolean".to_owned(),
            "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "f32" | "f64"
            | "usize" => "number".to_owned(),
            "Option" => format!("{} | null", typescript(inner[0])),
            "Vec" => format!("{}[]", array_element(inner[0])),
            "Channel" => format!("Channel<{}>", typescript(inner[0])),
            // A raw response body.
            "Response" => "ArrayBuffer".to_owned(),
            _ => {
                assert!(inner.is_empty(), "no mapping for the generic type {last}");
                last
            }
        }
    }

    fn array_element(ty: &Type) -> String {
        let t = typescript(ty);
        if t.contains(' ') {
            format!("({t})")
        } else {
            t
        }
    }

    fn camel_case(snake: &str) -> String {
        let mut out = String::new();
        let mut upper = false;
        for c in snake.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Names the generated file uses from the bindings or from Tauri.
    fn named_types(commands: &[Command]) -> Vec<String> {
        let builtin = [
            "string",
            "boolean",
            "number",
            "void",
            "null",
            "ArrayBuffer",
            "Channel",
        ];
        let mut names: Vec<String> = commands
            .iter()
            .flat_map(|c| {
                c.args
                    .iter()
                    .map(|(_, t)| t.clone())
                    .chain([c.returns.clone()])
            })
            .flat_map(|t| {
                t.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|w| !builtin.contains(&w.as_str()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn render() -> String {
        let commands: Vec<Command> = registered()
            .into_iter()
            .map(|(path, cfg)| read_command(&path, cfg))
            .collect();
        let mut out = String::from(
            "// Generated from the #[tauri::command] functions by src-tauri/src/command_bindings.rs. Do not edit.\n\n",
        );
        if commands
            .iter()
            .any(|c| c.args.iter().any(|(_, t)| t.contains("Channel<")))
        {
            out.push_str("import type { Channel } from \"@tauri-apps/api/core\";\n");
        }
        out.push_str("import { command } from \"../backend/command\";\n");
        let types = named_types(&commands);
        if !types.is_empty() {
            out.push_str(&format!(
                "import type {{ {} }} from \"./types\";\n",
                types.join(", ")
            ));
        }
        out.push_str("\nexport const commands = {\n");
        for c in &commands {
            for line in &c.doc {
                out.push_str(&format!("  // {line}\n").replace("  // \n", "  //\n"));
            }
            if let Some(cfg) = &c.cfg {
                out.push_str(&format!("  // Only in builds with cfg({cfg}).\n"));
            }
            let key = camel_case(&c.name);
            let params: Vec<String> = c.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
            if c.raw_body {
                assert!(
                    c.args.is_empty(),
                    "{}: a raw body is the only argument",
                    c.name
                );
                out.push_str(&format!(
                    "  {key}: (body: ArrayBuffer) => command<{}>(\"{}\", body),\n",
                    c.returns, c.name
                ));
            } else if params.is_empty() {
                out.push_str(&format!(
                    "  {key}: () => command<{}>(\"{}\"),\n",
                    c.returns, c.name
                ));
            } else {
                let names: Vec<&str> = c.args.iter().map(|(n, _)| n.as_str()).collect();
                out.push_str(&format!(
                    "  {key}: ({}) => command<{}>(\"{}\", {{ {} }}),\n",
                    params.join(", "),
                    c.returns,
                    c.name,
                    names.join(", ")
                ));
            }
        }
        out.push_str("};\n");
        out
    }

    #[test]
    fn typescript_command_callers_are_fresh() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/generated/commands.ts");
        let fresh = render();
        if std::env::var_os("MENTORLIVE_UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("write");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/generated/commands.ts is stale: run `MENTORLIVE_UPDATE_BINDINGS=1 cargo test -p mentorlive-app bindings`"
        );
    }

    #[test]
    fn argument_names_reach_the_ui_in_camel_case() {
        assert_eq!(camel_case("on_event"), "onEvent");
        assert_eq!(camel_case("session_id"), "sessionId");
        assert_eq!(camel_case("text"), "text");
    }
}
