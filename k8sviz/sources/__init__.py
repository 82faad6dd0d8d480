"""Where raw Kubernetes objects come from: files on disk, the live API, the bundled demo."""
