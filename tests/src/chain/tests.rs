//! Unit tests of `chain`.

use super::*;

#[test]
fn parses_the_banner() {
    let text = "\
Available Accounts
==================

(0) 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 (10000.000000000000000000 ETH)

Private Keys
==================

(0) 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
(1) 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d

Wallet
==================
Mnemonic:          test test test test test test test test test test test junk

Listening on 127.0.0.1:39675
";
    let banner = parse_banner(text).unwrap();
    assert_eq!(banner.url.as_str(), "http://127.0.0.1:39675/");
    assert_eq!(banner.keys.len(), 2);
    let signer = PrivateKeySigner::from_bytes(&banner.keys[0]).unwrap();
    assert_eq!(
        signer.address(),
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
            .parse::<Address>()
            .unwrap()
    );
}

#[test]
fn locates_the_node_in_order() {
    let dir = std::env::temp_dir().join(format!("serving-harness-locate-{}", std::process::id()));
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let exe = |p: &Path| {
        std::fs::write(p, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    };
    let shared = b.join("shared-anvil");
    let in_path = a.join(NODE_BINARY);
    let path_var = std::env::join_paths([&a]).unwrap();
    // Nothing anywhere: skipped.
    assert_eq!(locate(None, Some(path_var.clone()), &shared), None);
    // Only the shared copy.
    exe(&shared);
    assert_eq!(
        locate(None, None, &shared),
        Some(shared.canonicalize().unwrap())
    );
    // PATH wins over the shared copy; an empty variable counts as unset.
    exe(&in_path);
    assert_eq!(
        locate(Some("".into()), Some(path_var.clone()), &shared),
        Some(in_path.clone())
    );
    // The variable wins, even when it is wrong.
    assert_eq!(
        locate(
            Some("/no/such/anvil".into()),
            Some(path_var.clone()),
            &shared
        ),
        Some(PathBuf::from("/no/such/anvil"))
    );
    // A bare name in the variable is looked up in PATH.
    assert_eq!(
        locate(Some(NODE_BINARY.into()), Some(path_var), &shared),
        Some(in_path)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_default_keeps_the_code_size_limit() {
    let args = NodeOptions::default().args();
    assert!(!args.iter().any(|a| a.contains("code-size")));
    let raised = NodeOptions {
        code_size_limit: Some(DEFAULT_CODE_SIZE_LIMIT * 2),
        ..NodeOptions::default()
    };
    let args = raised.args();
    assert!(args.windows(2).any(|w| w == ["--code-size-limit", "49152"]));
}
