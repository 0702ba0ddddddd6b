hex ab ""
