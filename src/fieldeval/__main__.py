from fieldeval.cli.main import main

main()
