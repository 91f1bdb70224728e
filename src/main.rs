use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = ecoplan::cli::Cli::parse();
    match ecoplan::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line: the outermost message and its causes.
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("error: {}", chain.join(": "));
            std::process::ExitCode::FAILURE
        }
    }
}
