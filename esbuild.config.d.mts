export declare const ROOT: string;
export declare function build(options?: { types?: boolean }): Promise<void>;
export declare function bundle(entry: string, options?: { minify?: boolean }): Promise<string>;
export declare const SOURCE_CONDITIONS: string[];
export declare const nodeOptions: import('esbuild').BuildOptions;
