public enum AutodiffPlaceholder {}
