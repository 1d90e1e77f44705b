enum KysoDaemonPlaceholder {}
