from services.sla.app import main

main()
