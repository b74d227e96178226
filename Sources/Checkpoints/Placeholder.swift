public enum CheckpointsPlaceholder {}
