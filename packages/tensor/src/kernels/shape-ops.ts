// placeholder: filled by the shape-ops kernel work
export {};
