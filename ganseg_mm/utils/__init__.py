"""Small utilities shared by ganseg_mm's tools and components."""
