output ""
