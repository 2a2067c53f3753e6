"""Settings: the TOML file of the contract, the example rounds and the Danish reply templates."""
