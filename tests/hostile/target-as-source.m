file target
