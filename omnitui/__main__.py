from omnitui.cli import main

main()
