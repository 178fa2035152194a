//! The `chunkbench` binary: parses arguments and hands over to [`chunkbench::commands`].

use clap::Parser;

fn main() {
    let cli = chunkbench::cli::Cli::parse();
    match chunkbench::commands::dispatch(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
