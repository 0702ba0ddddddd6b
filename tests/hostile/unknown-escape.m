data "a\qb"
