use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = ecoplan::cli::Cli::parse();
    match ecoplan::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", ecoplan::cli::one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}
