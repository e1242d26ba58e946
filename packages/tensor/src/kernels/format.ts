// placeholder: filled by the format kernel work
export {};
