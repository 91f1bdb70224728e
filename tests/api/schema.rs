/// The checked-in schema is what the code generates.
#[test]
fn schema_graphql_is_up_to_date() {
    let generated = ecoplan::graphql::schema::sdl();
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap_or_default();
    assert!(generated == checked_in, "schema.graphql is out of date: run `cargo run -- schema > schema.graphql`");
}
