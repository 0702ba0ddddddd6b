data "\é"
