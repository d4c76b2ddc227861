//! EcoSteward's gateway: the stock Hive Router (crates.io `hive-router`, see Cargo.toml) with our
//! `ecosteward_contract` plugin registered. Mirrors hive-router's own `src/main.rs` (same allocator,
//! same `anonymize` sub-command, same TLS provider); the only difference is the plugin registry.

// Needed because of ntex's way of defining middlewares
#![recursion_limit = "256"]

mod contract;
mod plugin;

use hive_router::{
    configure_global_allocator, error::RouterInitError, init_rustls_crypto_provider, ntex,
    router_entrypoint, PluginRegistry, RouterGlobalAllocator,
};

configure_global_allocator!();

#[hive_router::main]
async fn main() -> Result<(), RouterInitError> {
    // `args_os`, because `args` panics on an argument that isn't valid unicode, and the router
    // itself never reads argv
    if std::env::args_os()
        .nth(1)
        .is_some_and(|command| command == "anonymize")
    {
        let args = std::env::args_os()
            .skip(2)
            .map(|arg| arg.into_string())
            .collect::<Result<Vec<_>, _>>();
        let result = match args {
            Ok(args) => hive_router::anonymize::run_cli(&args),
            Err(arg) => Err(format!("{arg:?} isn't valid unicode")),
        };
        if let Err(err) = result {
            eprintln!("{err}");
            std::process::exit(1);
        }
        return Ok(());
    }

    init_rustls_crypto_provider();

    router_entrypoint(PluginRegistry::new().register::<plugin::EcoStewardContract>()).await
}
