// Picks one of the workspace's datasets for the grid.
import type { DatasetRef } from '../../../../shared/datasets';

interface Props {
  datasets: DatasetRef[];
  value: string | null;
  onChange: (id: string) => void;
}

export function DatasetPicker({ datasets, value, onChange }: Props) {
  if (datasets.length === 0) return <span className="muted">No datasets in this workspace</span>;
  return (
    <label className="dataset-picker">
      Dataset
      <select data-testid="dataset-picker" value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
        {datasets.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name} ({d.role}, {d.format})
          </option>
        ))}
      </select>
    </label>
  );
}
