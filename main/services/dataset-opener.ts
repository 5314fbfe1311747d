// Services once imported a temporary folder reader from here; the datasets module now owns opening
// and checking datasets. Import from '../datasets' directly; this re-export goes once nobody uses it.
export { checkDataset, openDataset } from '../datasets';
