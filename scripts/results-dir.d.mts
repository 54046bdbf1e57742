export declare const RECORDED_RESULTS: string;
export declare const SCRATCH_RESULTS: string;
export declare function resultsDir(argv?: readonly string[]): { dir: string; record: boolean; argv: string[] };
export declare function earlierResult(dir: string, file: string): string | null;
export declare function fromRoot(path: string): string;
